#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `svirt prepare`: which label each resource gets, how the process label is
# derived, config overrides, and the refused system paths.
source "$(dirname "$0")/lib.sh"

plan 56

X=$WORK/xml
mkdir -p "$X"
HOME_CTX=system_u:object_r:user_home_t:s0
KEEP_CTX=system_u:object_r:keep_t:s0
OWN_CTX=system_u:object_r:foo_t:s0:c5,c6

fresh_images() {
  mkimg top.qcow2 "$HOME_CTX"
  mkimg mid.qcow2
  mkimg base.raw
  mkimg ro.iso
  mkimg shared.img
  mkimg norel.img "$KEEP_CTX"
  mkimg norel2.img
  mkimg own.img
  mkimg target.img
  ln -sfn target.img "$IMG/link.img"
  mkimg vmlinuz
  mkimg initrd.img
  mkimg board.dtb
  mkimg vars.fd
  mkimg serial.log
  rm -f "$IMG/fifo"
  mkfifo "$IMG/fifo"
}
FILES=(top.qcow2 mid.qcow2 base.raw ro.iso shared.img norel.img norel2.img own.img target.img
  vmlinuz initrd.img board.dtb vars.fd serial.log)
ALL_FILES=("${FILES[@]/#/$IMG/}")

cat >"$X/full.xml" <<EOF
<domain type='kvm'>
  <name>full</name>
  <os>
    <type>hvm</type>
    <kernel>$IMG/vmlinuz</kernel>
    <initrd>$IMG/initrd.img</initrd>
    <dtb>$IMG/board.dtb</dtb>
    <nvram>$IMG/vars.fd</nvram>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$IMG/top.qcow2'/>
      <backingStore type='file'>
        <format type='qcow2'/>
        <source file='$IMG/mid.qcow2'/>
        <backingStore type='file'>
          <format type='raw'/>
          <source file='$IMG/base.raw'/>
        </backingStore>
      </backingStore>
      <target dev='vda'/>
    </disk>
    <disk type='file' device='cdrom'><source file='$IMG/ro.iso'/><target dev='hdc'/><readonly/></disk>
    <disk type='file' device='disk'><source file='$IMG/shared.img'/><target dev='vdb'/><shareable/></disk>
    <disk type='file' device='disk'>
      <source file='$IMG/norel.img'><seclabel model='selinux' relabel='no'/></source>
      <target dev='vdc'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$IMG/norel2.img'><seclabel relabel='no'/></source>
      <target dev='vdd'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$IMG/own.img'>
        <seclabel model='selinux' relabel='yes'><label>$OWN_CTX</label></seclabel>
      </source>
      <target dev='vde'/>
    </disk>
    <disk type='file' device='disk'><source file='$IMG/link.img'/><target dev='vdf'/></disk>
    <serial type='file'><source path='$IMG/serial.log'/><target port='0'/></serial>
    <channel type='pipe'><source path='$IMG/fifo'/><target type='virtio' name='org.example.p'/></channel>
  </devices>
  <seclabel type='dynamic' model='selinux' relabel='yes'/>
</domain>
EOF

# --- the labels each resource gets ---------------------------------------------

fresh_images
new_state
svt prepare "$X/full.xml"
expect_rc 0
result $? "prepare of a domain with every kind of file: exit 0"

live=$OUT
read -r LABEL IMAGELABEL < <(printf '%s' "$live" | "$PY" -c '
import sys, xml.etree.ElementTree as ET
r = ET.fromstring(sys.stdin.read())
s = [x for x in r.findall("seclabel") if x.get("model") == "selinux"][0]
print(s.findtext("label"), s.findtext("imagelabel"))' 2>/dev/null)
expect_match "${LABEL:-}" "$DYN_RE" "process label" && expect_pair "$LABEL" &&
  expect_eq "${IMAGELABEL:-}" "$IMAGE_CTX:$(pair_of "$LABEL")" "imagelabel"
result $? "live XML: seclabel with label svirt_t:s0:cA,cB (A<B) and matching imagelabel"

expect_match "$live" "<source file=.$IMG/top.qcow2./>" "live XML keeps the devices"
result $? "live XML keeps the devices"

expect_label "$IMG/top.qcow2" "$IMAGELABEL"
result $? "top disk image gets the imagelabel"

expect_label "$IMG/mid.qcow2" "$CONTENT_CTX" && expect_label "$IMG/base.raw" "$CONTENT_CTX"
result $? "every backing layer gets the content context"

expect_label "$IMG/ro.iso" "$CONTENT_CTX"
result $? "readonly disk gets the content context"

expect_label "$IMG/shared.img" "$IMAGE_CTX"
result $? "shareable disk gets the image context without categories"

expect_label "$IMG/norel.img" "$KEEP_CTX" && expect_label "$IMG/norel2.img" "<none>"
result $? "per-source relabel='no' leaves the file untouched"

expect_label "$IMG/own.img" "$OWN_CTX"
result $? "per-source <label> is put on the file exactly"

expect_label "$IMG/vmlinuz" "$CONTENT_CTX" && expect_label "$IMG/initrd.img" "$CONTENT_CTX" &&
  expect_label "$IMG/board.dtb" "$CONTENT_CTX"
result $? "kernel, initrd and dtb get the content context"

expect_label "$IMG/vars.fd" "$IMAGELABEL"
result $? "nvram gets the imagelabel"

expect_label "$IMG/serial.log" "$IMAGELABEL"
result $? "chardev file gets the imagelabel"

expect_label "$IMG/target.img" "$IMAGELABEL"
result $? "disk given through a symlink: the file it names is labelled"

svt list
expect_rc 0 && expect_line "^full[[:space:]]+0[[:space:]]+prepared[[:space:]]+$LABEL\$" "list"
result $? "list: the domain is prepared, pid 0, with its label"

svt --json list
expect_rc 0 && json_check 'len(d["domains"]) == 1 and all(k in d["domains"][0] for k in ("name", "pid", "label", "imagelabel", "state"))' &&
  json_check "d['domains'][0]['name'] == 'full' and d['domains'][0]['pid'] == 0 and d['domains'][0]['state'] == 'prepared' and d['domains'][0]['label'] == '$LABEL' and d['domains'][0]['imagelabel'] == '$IMAGELABEL'"
result $? "list --json: name, pid 0, label, imagelabel, state prepared"

svt dominfo full
expect_rc 0 && expect_eq "$OUT" "Security model: selinux
Security DOI:   0
Security label: $LABEL (enforcing)" "dominfo"
result $? "dominfo: model, DOI and label lines"

before=$(snapshot "${ALL_FILES[@]}")
svt prepare "$X/full.xml"
expect_rc 2 && expect_one_error && expect_no_stdout &&
  expect_same_snapshot "$before" "$(snapshot "${ALL_FILES[@]}")"
result $? "preparing a recorded name again: exit 2, nothing changed"

# --- prepare --json ----------------------------------------------------------

fresh_images
new_state
svt --json prepare "$X/full.xml"
expect_rc 0 && json_check 'all(k in d for k in ("name", "model", "type", "label", "imagelabel", "resources")) and isinstance(d["resources"], list)' &&
  json_check 'd["name"] == "full" and d["model"] == "selinux" and d["type"] == "dynamic"' &&
  json_check 'all(all(k in r for k in ("path", "kind", "label", "original")) for r in d["resources"])'
result $? "prepare --json: the contract's keys"
pj=$OUT
IMAGELABEL=$(json_get 'd["imagelabel"]')

json_check "d['label'].startswith('system_u:system_r:svirt_t:s0:') and d['imagelabel'] == '$IMAGE_CTX:' + d['label'].split(':', 4)[4]"
result $? "prepare --json: label and imagelabel share the pair"

json_check 'set(r["kind"] for r in d["resources"]) <= {"disk", "backing", "kernel", "initrd", "dtb", "nvram", "chardev", "hostdev", "filesystem", "tpm", "memory", "savefile"}'
result $? "prepare --json: every kind is one the contract names"

kinds=$(json_get "sorted((r['path'].rsplit('/', 1)[1], r['kind']) for r in d['resources'] if r['label'] is not None)")
expect_eq "$kinds" '[["base.raw", "backing"], ["board.dtb", "dtb"], ["fifo", "chardev"], ["initrd.img", "initrd"], ["link.img", "disk"], ["mid.qcow2", "backing"], ["own.img", "disk"], ["ro.iso", "disk"], ["serial.log", "chardev"], ["shared.img", "disk"], ["top.qcow2", "disk"], ["vars.fd", "nvram"], ["vmlinuz", "kernel"]]' "resources and kinds"
result $? "prepare --json: one resource per labelled file, with its kind"

untouched=$(json_get "sorted(r['path'].rsplit('/', 1)[1] for r in d['resources'] if r['label'] is None)")
expect_eq "$untouched" '["norel.img", "norel2.img"]' "resources left alone"
result $? "prepare --json: sources with relabel='no' are reported, with no label"

json_check "[r['original'] for r in d['resources'] if r['path'] == '$IMG/top.qcow2'] == ['$HOME_CTX']"
result $? "prepare --json: original is the label the file had"

json_check "[r['original'] for r in d['resources'] if r['path'] == '$IMG/mid.qcow2'] == [None]"
result $? "prepare --json: original is null for a file without label"

json_check "'$IMG/link.img' in [r['path'] for r in d['resources']] and '$IMG/target.img' not in [r['path'] for r in d['resources']]"
result $? "prepare --json: path is the path as written in the XML"

bad=""
while IFS=$'\t' read -r p l; do
  [ "$p" = "$IMG/fifo" ] && continue
  [ "$(label "$p")" = "$l" ] || bad+="$p: on disk $(label "$p"), reported $l"$'\n'
done < <(json_get "'\n'.join(r['path'] + '\t' + str(r['label']) for r in d['resources'])")
[ -z "$bad" ] || diag "$bad"
result $? "prepare --json: each reported label is the one on disk"

OUT=$pj
json_check "[r['label'] for r in d['resources'] if r['path'] == '$IMG/fifo'] == ['$IMAGELABEL']"
result $? "a pipe (no user xattrs) is still labelled and reported"

# --- process label derivation --------------------------------------------------

printf "<domain type='qemu'><name>tcg</name></domain>\n" >"$X/tcg.xml"
new_state
svt --json prepare "$X/tcg.xml"
expect_rc 0 && json_check 'd["label"].startswith("system_u:system_r:svirt_tcg_t:s0:c")' &&
  expect_pair "$(json_get 'd["label"]')"
result $? "domain type qemu (no seclabel) gets the tcg domain context"

printf "<domain type='kvm'><name>plain</name></domain>\n" >"$X/plain.xml"
new_state
svt --json prepare "$X/plain.xml"
expect_rc 0 && json_check 'd["type"] == "dynamic"' && expect_match "$(json_get 'd["label"]')" "$DYN_RE" "label"
result $? "a domain without seclabel is confined by default"

cat >"$X/base.xml" <<'EOF'
<domain type='kvm'>
  <name>based</name>
  <seclabel type='dynamic' model='selinux'>
    <baselabel>staff_u:staff_r:my_vm_t:s0</baselabel>
  </seclabel>
</domain>
EOF
new_state
svt --json prepare "$X/base.xml"
expect_rc 0 && expect_match "$(json_get 'd["label"]')" '^system_u:system_r:my_vm_t:s0:c[0-9]+,c[0-9]+$' "label" &&
  json_check 'd["imagelabel"].startswith("system_u:object_r:svirt_image_t:s0:c")'
result $? "baselabel: only its type is used"

sed 's/kvm/qemu/; s/based/based-tcg/' "$X/base.xml" >"$X/base-tcg.xml"
new_state
svt --json prepare "$X/base-tcg.xml"
expect_rc 0 && json_check '":my_vm_t:" in d["label"]'
result $? "baselabel wins over the tcg context"

cat >"$X/conf.xml" <<EOF
<domain type='kvm'>
  <name>conf</name>
  <devices>
    <disk type='file' device='disk'><source file='$IMG/top.qcow2'/><target dev='vda'/></disk>
    <disk type='file' device='cdrom'><source file='$IMG/ro.iso'/><target dev='hdc'/><readonly/></disk>
    <disk type='file' device='disk'><source file='$IMG/shared.img'/><target dev='vdb'/><shareable/></disk>
  </devices>
</domain>
EOF
sed 's/kvm/qemu/; s/>conf</>conf-tcg</' "$X/conf.xml" | sed '/<devices>/,/<\/devices>/d' >"$X/conf-tcg.xml"
fresh_images
new_state
use_config "[selinux]" \
  "process_context = staff_u:staff_r:mgr_t:s1-s2:c10.c20" \
  "domain_context = unconfined_u:unconfined_r:kvm_vm_t:s0" \
  "tcg_domain_context = unconfined_u:unconfined_r:tcg_vm_t:s0" \
  "image_context = unconfined_u:object_r:vm_disk_t:s0" \
  "content_context = unconfined_u:object_r:vm_ro_t:s0"
svt --json prepare "$X/conf.xml"
expect_rc 0 && l=$(json_get 'd["label"]') &&
  expect_match "$l" '^staff_u:staff_r:kvm_vm_t:s1:c([0-9]+),c([0-9]+)$' "label" &&
  expect_pair "$l" 20 && [ "${BASH_REMATCH[1]}" -ge 10 ]
result $? "config: user/role from process_context, type from domain_context, sensitivity and categories from its range"

json_check "d['imagelabel'] == 'staff_u:object_r:vm_disk_t:s1:' + d['label'].rsplit(':', 1)[1]"
result $? "config: imagelabel is image_context's type with role object_r"

expect_label "$IMG/top.qcow2" "$(json_get 'd["imagelabel"]')" &&
  expect_label "$IMG/ro.iso" "unconfined_u:object_r:vm_ro_t:s0" &&
  expect_label "$IMG/shared.img" "unconfined_u:object_r:vm_disk_t:s0"
result $? "config: disks get the configured image and content contexts"

svt --json prepare "$X/conf-tcg.xml"
expect_rc 0 && expect_match "$(json_get 'd["label"]')" '^staff_u:staff_r:tcg_vm_t:s1:c[0-9]+,c[0-9]+$' "label"
result $? "config: tcg_domain_context for domain type qemu"

new_state
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0"
svt --json prepare "$X/plain.xml"
expect_rc 0 && expect_match "$(json_get 'd["label"]')" "$DYN_RE" "label" && expect_pair "$(json_get 'd["label"]')" 1023
result $? "config: a process context without categories hands out pairs of c0.c1023"

new_state
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c6"
svt prepare "$X/plain.xml"
expect_rc 1 && expect_one_error && expect_no_stdout
result $? "config: fewer than 8 categories is an error (exit 1)"

fresh_images
new_state
use_config "[security]" "default_confined = false"
svt --json prepare "$X/conf.xml"
expect_rc 0 && json_check 'd["type"] == "none" and d["label"] is None' &&
  expect_label "$IMG/top.qcow2" "$HOME_CTX" && expect_label "$IMG/ro.iso" "<none>"
result $? "default_confined=false: no seclabel means type none, nothing relabelled"

cat >"$X/none.xml" <<EOF
<domain type='kvm'>
  <name>unconfined</name>
  <devices><disk type='file' device='disk'><source file='$IMG/top.qcow2'/><target dev='vda'/></disk></devices>
  <seclabel type='none' model='selinux'/>
</domain>
EOF
new_state
use_config "[security]" "require_confined = true"
svt prepare "$X/none.xml"
expect_rc 1 && expect_one_error && expect_no_stdout && expect_label "$IMG/top.qcow2" "$HOME_CTX"
result $? "require_confined=true: seclabel type none refused (exit 1), nothing changed"

new_state
svt --json prepare "$X/none.xml"
expect_rc 0 && json_check 'd["type"] == "none"' && expect_label "$IMG/top.qcow2" "$HOME_CTX"
result $? "seclabel type none: prepared, no file relabelled"

new_state
use_config "[selinux]" "proces_context = system_u:system_r:virtd_t:s0"
svt prepare "$X/plain.xml"
expect_rc 1 && expect_one_error "proces_context" && expect_no_stdout
result $? "config: unknown key is an error (exit 1) naming the key"

new_state
use_config "[selinx]" "process_context = system_u:system_r:virtd_t:s0"
svt model
expect_rc 1 && expect_one_error && expect_no_stdout
result $? "config: unknown group is an error (exit 1)"

new_state
use_config "[selinux]" "image_context = not a context"
svt prepare "$X/plain.xml"
expect_rc 1 && expect_one_error && expect_no_stdout
result $? "config: a context that does not parse is an error (exit 1)"

# --- static labels --------------------------------------------------------------

cat >"$X/static.xml" <<EOF
<domain type='kvm'>
  <name>static</name>
  <devices><disk type='file' device='disk'><source file='$IMG/mid.qcow2'/><target dev='vda'/></disk></devices>
  <seclabel type='static' model='selinux' relabel='no'>
    <label>system_u:system_r:svirt_t:s0:c100,c200</label>
  </seclabel>
</domain>
EOF
fresh_images
new_state
svt prepare "$X/static.xml"
expect_rc 0 && expect_match "$OUT" "<label>system_u:system_r:svirt_t:s0:c100,c200</label>" "live XML" &&
  ! [[ "$OUT" =~ \<imagelabel\> ]] && expect_label "$IMG/mid.qcow2" "<none>"
result $? "static label with relabel='no': label kept, no file relabelled"

cat >"$X/static-relabel.xml" <<EOF
<domain type='kvm'>
  <name>static-relabel</name>
  <devices><disk type='file' device='disk'><source file='$IMG/top.qcow2'/><target dev='vda'/></disk></devices>
  <seclabel type='static' model='selinux' relabel='yes'>
    <label>system_u:system_r:svirt_t:s0:c1,c2</label>
    <imagelabel>system_u:object_r:svirt_image_t:s0:c1,c2</imagelabel>
  </seclabel>
</domain>
EOF
new_state
svt --json prepare "$X/static-relabel.xml"
expect_rc 0 && json_check 'd["type"] == "static" and d["label"] == "system_u:system_r:svirt_t:s0:c1,c2"' &&
  expect_label "$IMG/top.qcow2" "system_u:object_r:svirt_image_t:s0:c1,c2"
result $? "static label with relabel='yes': disks get its imagelabel"

# --- the none driver -------------------------------------------------------------

fresh_images
new_state
svn --json prepare "$X/full.xml"
expect_rc 0 && json_check 'all(k in d for k in ("name", "model", "type", "label", "imagelabel", "resources")) and d["model"] == "none"' &&
  expect_label "$IMG/top.qcow2" "$HOME_CTX" && expect_label "$IMG/mid.qcow2" "<none>"
result $? "none driver: prepare --json reports model none, no file relabelled"

svn list
expect_rc 0 && expect_line "^full[[:space:]]" "list"
result $? "none driver: the domain is recorded"

svn --json release full
expect_rc 0 && json_check 'd["name"] == "full" and isinstance(d["resources"], list)'
result $? "none driver: release --json"

# --- the contract's kinds, for the firmware loader -----------------------------

mkimg code.fd
cat >"$X/loader.xml" <<EOF
<domain type='kvm'>
  <name>loader</name>
  <os><type>hvm</type><loader readonly='yes' type='pflash'>$IMG/code.fd</loader></os>
</domain>
EOF
new_state
svt --json prepare "$X/loader.xml"
expect_rc 0 && expect_label "$IMG/code.fd" "$CONTENT_CTX"
result $? "firmware loader gets the content context"
json_check 'set(r["kind"] for r in d["resources"]) <= {"disk", "backing", "kernel", "initrd", "dtb", "nvram", "chardev", "hostdev", "filesystem", "tpm", "memory", "savefile"}'
result $? "firmware loader: kind is one the contract names"

# --- system paths ------------------------------------------------------------------

SYS_PATHS=(/ /etc /usr)
sys_before=$(snapshot "${SYS_PATHS[@]}")
# If svirt ever wrongly labels a system path, take our attribute off again.
undo_sys() {
  local p
  for p in "${SYS_PATHS[@]}"; do
    if [[ "$sys_before" == *"$p=<none>"* ]] && [ "$(label "$p")" != "<none>" ]; then
      if [ $have_getfattr = 1 ]; then setfattr -x "$XATTR" "$p" 2>/dev/null
      else "$PY" -c 'import os,sys; os.removexattr(sys.argv[1], sys.argv[2])' "$p" "$XATTR" 2>/dev/null; fi
    fi
  done
}

# sys_refused DESC SOURCE: a domain whose second disk is SOURCE is refused
# with exit 2 and nothing labelled.
sys_refused() {
  cat >"$X/sys.xml" <<EOF
<domain type='kvm'>
  <name>sys</name>
  <devices>
    <disk type='file' device='disk'><source file='$IMG/top.qcow2'/><target dev='vda'/></disk>
    <disk type='file' device='disk'><source file='$2'/><target dev='vdb'/></disk>
  </devices>
</domain>
EOF
  new_state
  local before after
  before=$(snapshot "$IMG/top.qcow2" "${SYS_PATHS[@]}")
  svt prepare "$X/sys.xml"
  after=$(snapshot "$IMG/top.qcow2" "${SYS_PATHS[@]}")
  undo_sys
  expect_rc 2 && expect_one_error && expect_no_stdout && expect_same_snapshot "$before" "$after" &&
    { svt --json list; json_check 'd["domains"] == []'; }
  result $? "$1"
}

fresh_images
ln -sfn /etc "$IMG/etc-link"
ln -sfn /usr "$IMG/usr-link"
ln -sfn / "$IMG/root-link"
sys_refused "disk path that is a symlink to /etc: exit 2, nothing changed" "$IMG/etc-link"
sys_refused "disk path /etc: exit 2, nothing changed" "/etc"
sys_refused "disk path that is a symlink to /usr: exit 2, nothing changed" "$IMG/usr-link"
sys_refused "disk path that is a symlink to /: exit 2, nothing changed" "$IMG/root-link"

# --- warnings belong to their call -------------------------------------------
# A serial log that does not exist yet is a warning of the prepare that met it:
# in its --json report and on stderr, and in no later command's report.
new_state
mkimg warn.img
cat >"$X/warn.xml" <<XML
<domain type='kvm'><name>warn</name><devices>
<disk type='file' device='disk'><source file='$IMG/warn.img'/><target dev='vda'/></disk>
<serial type='file'><source path='$IMG/not-yet.log'/><target port='0'/></serial>
</devices></domain>
XML
svt --json prepare "$X/warn.xml"
expect_rc 0 && json_check 'len(d["warnings"]) == 1 and "not-yet.log" in d["warnings"][0]' &&
  expect_match "$ERR" "warning: .*not-yet.log" "the warning on stderr"
result $? "prepare --json: the call's own warning in \"warnings\" and on stderr"
svt --json release warn
expect_rc 0 && json_check 'd["warnings"] == []' && expect_eq "$ERR" "" "stderr"
result $? "release --json: no warning of the earlier prepare"
