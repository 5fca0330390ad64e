#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Source types through the `svirt` command (docs/resources.md): what is
# labelled with which file kind, what is reported with "label": null and a
# reason, what is refused with one line, and the none driver running a
# domain written for SELinux unlabelled.
source "$(dirname "$(readlink -f "$0")")/../cli/lib.sh"

plan 22

X=$WORK/xml
mkdir -p "$X"
ORIG=system_u:object_r:virt_image_t:s0

domain() {  # NAME DEVICES [EXTRA]
  cat >"$X/$1.xml" <<XML
<domain type='kvm'><name>$1</name><devices>$2</devices>${3:-}</domain>
XML
}

# A unix socket file that stays after its listener is gone.
mksock() { "$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"; }

# --- labelled and left alone, in one domain -------------------------------------

mkimg a.img "$ORIG"
mkimg norel.img "$ORIG"
mkimg tcp.log "$ORIG"
rm -f "$IMG/fifo" "$IMG/console.sock" "$IMG/vhu.sock"
mkfifo "$IMG/fifo"
mksock "$IMG/console.sock"
mksock "$IMG/vhu.sock"
domain mixed "
<disk type='file' device='disk'><source file='$IMG/a.img'/><target dev='vda'/></disk>
<disk type='file' device='disk'><source file='$IMG/norel.img'><seclabel model='selinux' relabel='no'/></source><target dev='vdb'/></disk>
<disk type='network' device='disk'><source protocol='nbd' name='export'><host name='nbd.example.org'/></source><target dev='vdc'/></disk>
<serial type='pty'/>
<serial type='tcp'><source mode='connect' host='127.0.0.1' service='4555'/><log file='$IMG/tcp.log'/></serial>
<serial type='unix'><source mode='connect' path='$IMG/console.sock'/></serial>
<channel type='pipe'><source path='$IMG/fifo'/><target type='virtio' name='p'/></channel>
<interface type='bridge'><source bridge='br0'/></interface>
<interface type='vhostuser'><source type='unix' path='$IMG/vhu.sock' mode='client'/></interface>
<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='iqn.2014-08.org.example:t/1'><host name='h'/></source></hostdev>
<filesystem type='ram'><source usage='1024'/><target dir='/tmp'/></filesystem>"
new_state
svt --json prepare "$X/mixed.xml"
expect_rc 0
result $? "prepare of a domain with labelled and unlabelled sources: exit 0"
pj=$OUT
IMAGELABEL=$(json_get 'd["imagelabel"]')

json_check 'all(all(k in r for k in ("path", "kind", "device", "label", "original", "changed", "shared")) for r in d["resources"])'
result $? "prepare --json: every resource has the contract's keys"

json_check 'all("reason" not in r for r in d["resources"] if r["label"] is not None) and all(isinstance(r.get("reason"), str) and r["reason"] for r in d["resources"] if r["label"] is None)'
result $? "prepare --json: a reason on each resource left alone, on no labelled one"

# R(device): the resources of one device, as (path, label, reason).
R='(lambda dev: [(r["path"], r["label"], r.get("reason", "")) for r in d["resources"] if r["device"] == dev])'
json_check "$R('vdc') == [('', None, 'network disk (nbd): no host file')]"
result $? "network disk: no path, label null, the reason"

json_check "$R('serial0')[0][:2] == ('', None) and $R('serial0')[0][2].startswith('pty:')"
result $? "pty: no path, label null, the reason"

json_check "$R('vdb') == [('$IMG/norel.img', None, \"relabel='no'\")]" &&
  expect_label "$IMG/norel.img" "$ORIG"
result $? "relabel='no': the path, label null, reason relabel='no', the file untouched"

json_check "[x for x in $R('serial1') if x[0] == '$IMG/tcp.log'] == [('$IMG/tcp.log', '$IMAGELABEL', '')]" &&
  json_check "[x[2].startswith('tcp:') for x in $R('serial1') if x[0] == ''] == [True]" &&
  expect_label "$IMG/tcp.log" "$IMAGELABEL"
result $? "chardev <log file>: labelled with the image label; the tcp source itself left alone"

# Sockets, like FIFOs, hold no user xattrs: the report says what was set.
json_check "$R('serial2') == [('$IMG/console.sock', '$IMAGELABEL', '')]" &&
  json_check "$R('net1') == [('$IMG/vhu.sock', '$IMAGELABEL', '')]" &&
  json_check "$R('channel0') == [('$IMG/fifo', '$IMAGELABEL', '')]"
result $? "unix chardev socket, vhost-user interface socket and pipe get the image label"

json_check "$R('net0')[0][:2] == ('', None) and 'bridge' in $R('net0')[0][2]" &&
  json_check "[x[2].startswith('iSCSI') for x in $R('hostdev')] == [True]" &&
  json_check "[x[2].startswith('ram:') for x in $R('/tmp')] == [True]"
result $? "bridge interface, iSCSI hostdev, ram filesystem: reported with their reasons"

svt release mixed
expect_rc 0 && expect_line "^skipped +$IMG/norel\\.img \\(relabel='no'\\)$" "release" &&
  expect_line "^skipped +\\(vdc\\) \\(network disk \\(nbd\\): no host file\\)$" "release" &&
  expect_label "$IMG/a.img" "$ORIG" && expect_label "$IMG/tcp.log" "$ORIG"
result $? "release text: skipped resources with their reasons, labels back"

# --- the kind of file each source must be -----------------------------------------

check_kind() {  # DESCRIPTION DEVICES ERE
  new_state
  domain kind "$2"
  svt prepare "$X/kind.xml"
  expect_rc 2 && expect_one_error "$3" && expect_no_stdout && [ ! -e "$STATE/files.journal" ] &&
    expect_label "$IMG/plain" "$ORIG"
  result $? "$1"
}
mkimg plain "$ORIG"
check_kind "a regular file as a pipe chardev is refused, nothing recorded" \
  "<serial type='pipe'><source path='$IMG/plain'/></serial>" "plain.*regular file, not a FIFO"
check_kind "a regular file as a unix chardev is refused" \
  "<serial type='unix'><source mode='connect' path='$IMG/plain'/></serial>" "plain.*not a socket"
check_kind "a regular file as a dev chardev is refused" \
  "<serial type='dev'><source path='$IMG/plain'/></serial>" "plain.*not a character device"
check_kind "a regular file as a type='block' disk is refused" \
  "<disk type='block'><source dev='$IMG/plain'/><target dev='vda'/></disk>" "plain.*not a block device"
check_kind "a regular file as a mount filesystem is refused" \
  "<filesystem type='mount'><source dir='$IMG/plain'/><target dir='t'/></filesystem>" "plain.*not a directory"

# --- refused ------------------------------------------------------------------------

check_refused() {  # DESCRIPTION DEVICES ERE
  new_state
  domain refused "$2"
  svt prepare "$X/refused.xml"
  expect_rc 1 && expect_one_error "$3" && expect_no_stdout && expect_label "$IMG/a.img" "$ORIG" &&
    { svt list; [ "$(printf '%s\n' "$OUT" | grep -c '^refused ')" = 0 ]; }
  result $? "$1"
}
A="<disk type='file' device='disk'><source file='$IMG/a.img'/><target dev='vda'/></disk>"
check_refused "disk type='volume': refused, says what to write instead, nothing changed" \
  "$A<disk type='volume'><source pool='default' volume='v.img'/><target dev='vdb'/></disk>" \
  "disk 'vdb': type 'volume'.*storage pool.*<disk type='file'> or <disk type='block'>"
check_refused "filesystem type='template': refused with what to write instead" \
  "$A<filesystem type='template'><source name='debian'/><target dir='/'/></filesystem>" \
  "filesystem '/': type 'template'.*<filesystem type='mount'><source dir="
check_refused "per-source seclabel of model apparmor: refused" \
  "<disk type='file'><source file='$IMG/a.img'><seclabel model='apparmor' relabel='no'/></source><target dev='vda'/></disk>" \
  "disk 'vda': source seclabel model 'apparmor' has no security driver"

# --- the none driver ------------------------------------------------------------------

new_state
domain asks "$A" "<seclabel type='dynamic' model='selinux'/>"
svn --json prepare "$X/asks.xml"
expect_rc 0 && json_check 'd["model"] == "none"' && expect_label "$IMG/a.img" "$ORIG"
result $? "none driver: a domain written for SELinux runs unlabelled (model none)"

new_state
domain plain "$A"
svn --json prepare "$X/plain.xml"
expect_rc 0 && json_check 'd["model"] == "none"' && expect_label "$IMG/a.img" "$ORIG"
result $? "none driver: a domain asking for no label runs unlabelled"

# --- hotplug ----------------------------------------------------------------------------

new_state
domain host "$A"
svt prepare "$X/host.xml"
cat >"$X/nbd.xml" <<EOF
<disk type='network' device='disk'><source protocol='nbd' name='hot'><host name='h'/></source><target dev='vdz'/></disk>
EOF
svt attach host "$X/nbd.xml"
expect_rc 0 && expect_line "^\\(vdz\\) \\(untouched: network disk \\(nbd\\): no host file\\)$" "attach"
result $? "attach text: a device with no host file, with its reason"

svt --json attach host "$X/nbd.xml"
expect_rc 0 && json_check 'd["resources"] == [dict(d["resources"][0], path="", label=None, reason="network disk (nbd): no host file")] and d["resources"][0]["device"] == "vdz"'
result $? "attach --json: label null and the reason"
svt release host
