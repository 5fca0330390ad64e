#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The example management stack (examples/mini-dom0) end to end on this host,
# with the test driver: real qemu-system-x86_64 guests (TCG) boot from disks
# the stack created, one opening its disks by path, one given descriptors, one
# from a qcow2 overlay whose template the XML does not name; each gets its own
# label, and every file gets its label back.
# usage: mini-dom0.sh SVIRT MINI_DOM0 SOURCE_ROOT
source "$(dirname "$0")/../cli/lib.sh"

DOM0=${2:?usage: mini-dom0.sh SVIRT MINI_DOM0 SOURCE_ROOT}
SRC=${3:?usage: mini-dom0.sh SVIRT MINI_DOM0 SOURCE_ROOT}
QEMU=$(command -v qemu-system-x86_64) || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v qemu-img >/dev/null || skip_all "qemu-img is not installed (apt-get install qemu-utils)"

plan 12

X=$WORK/domains
LOGS=$WORK/logs
mkdir -p "$X" "$LOGS" "$IMG/private"
# The example's own domains, moved under this test's directory.
for f in "$SRC"/examples/mini-dom0/domains/*.xml; do
  sed -e "s#/var/lib/libvirt/images#$IMG#; s#/var/lib/libvirt/qemu#$LOGS#" "$f" >"$X/$(basename "$f")"
done
new_state
# A label the tools image had before: it must come back after both VMs.
mkimg dom0-tools.img system_u:object_r:virt_image_t:s0
FILES=("$IMG/dom0-tools.img")

dom0() {
  timeout 120 "$DOM0" --driver test --state-dir "$STATE" "$@" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1: $2 //p" | head -n 1; }
# Whether the guest wrote its marker into FILE: at the start of a sector (raw:
# sector 2; qcow2: a sector of the cluster qemu allocated). The boot code
# carries the text too, unaligned, so a plain grep proves nothing.
guest_wrote() {
  python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read(1 << 20)
sys.exit(0 if any(data.startswith(b'SVIRT-VM-WAS-HERE', i) for i in range(512, len(data), 512)) else 1)
PY
}

dom0 --pass-fds db "$X"
expect_rc 0 && expect_line '^summary: 3 of 3 VMs' "summary"
result $? "every VM boots, runs and stops; the stack exits 0"

web=$(field web label) db=$(field db label) layered=$(field layered label)
rc=0
for l in "$web" "$db" "$layered"; do expect_match "$l" ':s0:c[0-9]+,c[0-9]+$' "label" || rc=1; done
pairs=$(for l in "$web" "$db" "$layered"; do pair_of "$l"; echo; done | sort -u | grep -c .)
[ "$pairs" = 3 ] || { diag "pairs not distinct: $web / $db / $layered"; rc=1; }
(exit $rc)
result $? "each VM gets its own dynamic MCS pair"

expect_eq "$(field web pid | sed 's/^[0-9]* running as //')" "$web" "web process" &&
  expect_eq "$(field db pid | sed 's/^[0-9]* running as //')" "$db" "db process"
result $? "qemu ran under the label prepare() chose"

img_web=$(field web imagelabel)
expect_line "^web: resource hda $IMG/dom0-web.img $img_web was " "web disk" &&
  expect_line "^web: resource serial0 $LOGS/dom0-web.log $img_web was " "web log" &&
  expect_line "^web: resource hdb $IMG/dom0-tools.img $CONTENT_CTX was " "shared read-only disk"
result $? "disks and the serial log carry the VM's image label, the read-only disk the content label"

expect_line '^db: command .* -add-fd fd=3,set=1 -drive file=/dev/fdset/1,' "db fd 3" &&
  expect_line '^db: command .* -add-fd fd=4,set=2 -drive file=/dev/fdset/2,.*readonly=on' "db fd 4" &&
  { ! printf '%s\n' "$OUT" | grep -q "^db: command .*file=$IMG"; } &&
  expect_line "^web: command .* -drive file=$IMG/dom0-web.img," "web by path"
result $? "db's disks reach qemu as passed descriptors, web's by path"

expect_line '^web: serial hello from web, read from its own disk$' "web serial" &&
  expect_line '^db: serial hello from db, read from its own disk$' "db serial" &&
  expect_line '^web: serial disk written$' "web wrote" && expect_line '^db: serial disk written$' "db wrote"
result $? "each guest read its greeting from its own disk and wrote to it"

# The thin clone: the chain came from the overlay's header, qemu read the
# template through it and wrote only the overlay.
img_layered=$(field layered imagelabel)
expect_line "^layered: resource hda $IMG/dom0-layered.qcow2 $img_layered was " "overlay" &&
  expect_line "^layered: resource hda $IMG/dom0-layered-base.img $CONTENT_CTX was " "template" &&
  expect_line "^layered: command .* -drive file=$IMG/dom0-layered.qcow2,format=qcow2," "qcow2 drive" &&
  expect_line '^layered: serial hello from layered, read from its own disk$' "greeting via overlay" &&
  expect_line '^layered: marker yes$' "overlay marker" &&
  guest_wrote "$IMG/dom0-layered.qcow2" &&
  { ! guest_wrote "$IMG/dom0-layered-base.img" || { diag "the template was written"; false; }; }
result $? "a qcow2 overlay named alone: its template is labelled read-only, read through, never written"

expect_line '^web: marker yes$' "web marker" && expect_line '^db: marker yes$' "db marker" &&
  guest_wrote "$IMG/dom0-web.img" && guest_wrote "$IMG/private/dom0-db.img"
result $? "what the guests wrote is on their disk images"

rc=0
for f in "$IMG/dom0-web.img" "$IMG/private/dom0-db.img" "$LOGS/dom0-web.log" "$LOGS/dom0-db.log" \
  "$IMG/dom0-layered.qcow2" "$IMG/dom0-layered-base.img" "$LOGS/dom0-layered.log"; do
  [ "$(label "$f")" = "<none>" ] || { diag "$f still labelled $(label "$f")"; rc=1; }
done
expect_label "$IMG/dom0-tools.img" system_u:object_r:virt_image_t:s0 || rc=1
(exit $rc)
result $? "after the stack stops, every file has the label it had before"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "nothing is left recorded in the state directory"

# A qemu that cannot start: the stack reports it and still cleans up.
rm -f "$IMG"/dom0-web.img "$IMG"/private/dom0-db.img "$IMG"/dom0-layered*
dom0 --qemu /bin/false "$X"
expect_rc 1 && expect_line '^web: exit 1 qemu failed$' "web failed" &&
  expect_line '^summary: 0 of 3 VMs' "summary"
result $? "a VM whose qemu fails is reported and the stack exits 1"
rc=0
for f in "$IMG/dom0-web.img" "$IMG/private/dom0-db.img" "$LOGS/dom0-web.log" \
  "$IMG/dom0-layered.qcow2" "$IMG/dom0-layered-base.img"; do
  [ "$(label "$f")" = "<none>" ] || { diag "$f still labelled $(label "$f")"; rc=1; }
done
expect_label "$IMG/dom0-tools.img" system_u:object_r:virt_image_t:s0 || rc=1
svt --json list
json_check 'd["domains"] == []' || rc=1
(exit $rc)
result $? "a failed start leaves no label and no record behind"
