#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# release, sharing between domains, conflicts, hotplug and recovery of
# prepared domains.
source "$(dirname "$0")/lib.sh"

plan 38

X=$WORK/xml
mkdir -p "$X"
HOME_CTX=system_u:object_r:user_home_t:s0
KEEP_CTX=system_u:object_r:keep_t:s0

# --- release --------------------------------------------------------------------

mkimg top.qcow2 "$HOME_CTX"
mkimg base.raw
mkimg ro.iso "system_u:object_r:iso_t:s0"
mkimg norel.img "$KEEP_CTX"
mkimg vmlinuz
mkimg serial.log
cat >"$X/vm.xml" <<EOF
<domain type='kvm'>
  <name>vm</name>
  <os><type>hvm</type><kernel>$IMG/vmlinuz</kernel></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='$IMG/top.qcow2'/>
      <backingStore type='file'><format type='raw'/><source file='$IMG/base.raw'/></backingStore>
      <target dev='vda'/>
    </disk>
    <disk type='file' device='cdrom'><source file='$IMG/ro.iso'/><target dev='hdc'/><readonly/></disk>
    <disk type='file' device='disk'>
      <source file='$IMG/norel.img'><seclabel model='selinux' relabel='no'/></source>
      <target dev='vdb'/>
    </disk>
    <serial type='file'><source path='$IMG/serial.log'/><target port='0'/></serial>
  </devices>
</domain>
EOF
VM_FILES=("$IMG/top.qcow2" "$IMG/base.raw" "$IMG/ro.iso" "$IMG/norel.img" "$IMG/vmlinuz" "$IMG/serial.log")
orig=$(snapshot "${VM_FILES[@]}")

new_state
svt prepare "$X/vm.xml"
expect_rc 0 && [ "$(label "$IMG/top.qcow2")" != "$HOME_CTX" ] && [ "$(label "$IMG/base.raw")" = "$CONTENT_CTX" ]
result $? "prepare labels the domain's files"

svt release vm
expect_rc 0 && expect_same_snapshot "$orig" "$(snapshot "${VM_FILES[@]}")"
result $? "release restores every file to its original (labelled or not)"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "release drops the domain"

svt release vm
expect_rc 2 && expect_one_error "vm" && expect_no_stdout
result $? "release of a domain that is not prepared: exit 2, one error line"

svt prepare "$X/vm.xml"
svt --json release vm
expect_rc 0 && json_check 'd["name"] == "vm" and isinstance(d["resources"], list) and all(all(k in r for k in ("path", "restored_to", "action")) for r in d["resources"])'
result $? "release --json: name, resources with path, restored_to, action"

json_check 'all(r["action"] in ("restored", "kept", "skipped", "failed") for r in d["resources"])' &&
  json_check "{r['path']: r['action'] for r in d['resources'] if r['action'] == 'restored'}.keys() == {'$IMG/top.qcow2', '$IMG/base.raw', '$IMG/ro.iso', '$IMG/vmlinuz', '$IMG/serial.log'}"
result $? "release --json: every relabelled file restored"

json_check "[r['restored_to'] for r in d['resources'] if r['path'] == '$IMG/top.qcow2'] == ['$HOME_CTX']" &&
  json_check "[r['restored_to'] for r in d['resources'] if r['path'] == '$IMG/ro.iso'] == ['system_u:object_r:iso_t:s0']" &&
  json_check "[r['restored_to'] for r in d['resources'] if r['path'] == '$IMG/base.raw'] == [None]"
result $? "release --json: restored_to is the original label, null when there was none"

json_check "[r['action'] for r in d['resources'] if r['path'] == '$IMG/norel.img'] == ['skipped']"
result $? "release --json: a relabel='no' file is reported as skipped"

expect_same_snapshot "$orig" "$(snapshot "${VM_FILES[@]}")"
result $? "after release --json every label is the original again"

svt prepare "$X/vm.xml"
svt release vm
expect_rc 0 && expect_line "^restored[[:space:]]+$IMG/top.qcow2" "release output"
result $? "release (text) names each restored file"

# --- two domains sharing a file ---------------------------------------------------

mkimg shared.iso "system_u:object_r:iso_t:s0"
mkimg a.img
mkimg b.img
# share NAME DISK: a domain with its own disk and the shared read-only image.
share() {
  cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <devices>
    <disk type='file' device='disk'><source file='$IMG/$2'/><target dev='vda'/></disk>
    <disk type='file' device='cdrom'><source file='$IMG/shared.iso'/><target dev='hdc'/><readonly/></disk>
  </devices>
</domain>
EOF
}
share a a.img >"$X/a.xml"
share b b.img >"$X/b.xml"
new_state
svt prepare "$X/a.xml"
rc_a=$RC
svt --json prepare "$X/b.xml"
[ "$rc_a" = 0 ] && expect_rc 0 && expect_label "$IMG/shared.iso" "$CONTENT_CTX"
result $? "two domains prepare with one read-only image"

json_check "[r['original'] for r in d['resources'] if r['path'] == '$IMG/shared.iso'] == ['system_u:object_r:iso_t:s0']"
result $? "second user's original is still the label the file had before any domain"

svt --json release a
expect_rc 0 && json_check "[r['action'] for r in d['resources'] if r['path'] == '$IMG/shared.iso'] == ['kept']" &&
  expect_label "$IMG/shared.iso" "$CONTENT_CTX" && expect_label "$IMG/a.img" "<none>"
result $? "first release: shared image kept, own disk restored"

svt --json release b
expect_rc 0 && json_check "[r['action'] for r in d['resources'] if r['path'] == '$IMG/shared.iso'] == ['restored']" &&
  expect_label "$IMG/shared.iso" "system_u:object_r:iso_t:s0"
result $? "second release: shared image restored to its original"

mkimg disk.img "$HOME_CTX"
for n in s1 s2; do
  cat >"$X/$n.xml" <<EOF
<domain type='kvm'><name>$n</name><devices>
<disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/><shareable/></disk>
</devices></domain>
EOF
done
new_state
svt prepare "$X/s1.xml"
rc1=$RC
svt prepare "$X/s2.xml"
[ "$rc1" = 0 ] && expect_rc 0 && expect_label "$IMG/disk.img" "$IMAGE_CTX" &&
  { svt release s1; expect_rc 0; } && expect_label "$IMG/disk.img" "$IMAGE_CTX" &&
  { svt release s2; expect_rc 0; } && expect_label "$IMG/disk.img" "$HOME_CTX"
result $? "shareable disk in two domains: labelled until the last release"

# --- conflicts -----------------------------------------------------------------------

mkimg z.iso
mkimg x.img
mkimg y.img "$HOME_CTX"
mkimg k.vmlinuz
cat >"$X/holder.xml" <<EOF
<domain type='kvm'><name>holder</name><devices>
<disk type='file' device='cdrom'><source file='$IMG/z.iso'/><target dev='hdc'/><readonly/></disk>
</devices></domain>
EOF
cat >"$X/wants-rw.xml" <<EOF
<domain type='kvm'>
  <name>wants-rw</name>
  <os><type>hvm</type><kernel>$IMG/k.vmlinuz</kernel></os>
  <devices>
    <disk type='file' device='disk'><source file='$IMG/x.img'/><target dev='vda'/></disk>
    <disk type='file' device='disk'><source file='$IMG/y.img'/><target dev='vdb'/></disk>
    <disk type='file' device='disk'><source file='$IMG/z.iso'/><target dev='vdc'/></disk>
  </devices>
</domain>
EOF
CONFLICT_FILES=("$IMG/z.iso" "$IMG/x.img" "$IMG/y.img" "$IMG/k.vmlinuz")
new_state
svt prepare "$X/holder.xml"
expect_rc 0
result $? "a domain holds an image read-only"

before=$(snapshot "${CONFLICT_FILES[@]}")
svt prepare "$X/wants-rw.xml"
expect_rc 2 && expect_one_error "z.iso" && expect_no_stdout &&
  expect_same_snapshot "$before" "$(snapshot "${CONFLICT_FILES[@]}")"
result $? "another domain wanting it read-write: exit 2, no file changed"

svt --json list
expect_rc 0 && json_check '[x["name"] for x in d["domains"]] == ["holder"]'
result $? "the refused domain is not recorded, the holder still is"

svt --json prepare "$X/wants-rw.xml"
expect_rc 2 && expect_json_error && expect_same_snapshot "$before" "$(snapshot "${CONFLICT_FILES[@]}")"
result $? "conflict with --json: error document on stdout, nothing changed"

sed 's/wants-rw/shares-ro/; s|<target dev=.vdc./>|&<readonly/>|' "$X/wants-rw.xml" >"$X/shares-ro.xml"
svt prepare "$X/shares-ro.xml"
expect_rc 0
result $? "after the conflict, a domain wanting the same label still can share it"

svt release shares-ro
svt release holder
expect_rc 0 && expect_same_snapshot "$(printf '%s\n' "${CONFLICT_FILES[@]/%/=<none>}" | sed "s|^$IMG/y.img=<none>|$IMG/y.img=$HOME_CTX|")" "$(snapshot "${CONFLICT_FILES[@]}")"
result $? "releasing both restores every original"

# --- hotplug -------------------------------------------------------------------------

mkimg hot.img "system_u:object_r:hot_t:s0"
cat >"$X/hot-disk.xml" <<EOF
<disk type='file' device='disk'><source file='$IMG/hot.img'/><target dev='vdz'/></disk>
EOF
printf "<domain type='kvm'><name>host</name></domain>\n" >"$X/host.xml"
new_state
svt --json prepare "$X/host.xml"
il=$(json_get 'd["imagelabel"]')
svt --json attach host "$X/hot-disk.xml"
expect_rc 0 && expect_label "$IMG/hot.img" "$il" &&
  json_check "[(r['path'], r['original']) for r in d['resources']] == [('$IMG/hot.img', 'system_u:object_r:hot_t:s0')]"
result $? "attach labels the device with the domain's imagelabel"

svt --json detach host "$X/hot-disk.xml"
expect_rc 0 && expect_label "$IMG/hot.img" "system_u:object_r:hot_t:s0" &&
  json_check "[(r['path'], r['action']) for r in d['resources']] == [('$IMG/hot.img', 'restored')]"
result $? "detach restores the device"

svt attach host "$X/hot-disk.xml"
svt release host
expect_rc 0 && expect_label "$IMG/hot.img" "system_u:object_r:hot_t:s0"
result $? "release also restores an attached device"

svt attach nobody "$X/hot-disk.xml"
expect_rc 2 && expect_one_error && expect_label "$IMG/hot.img" "system_u:object_r:hot_t:s0"
result $? "attach to an unknown domain: exit 2, nothing changed"

printf "<disk type='file' device='disk'><source file='rel.img'/><target dev='vdz'/></disk>\n" >"$X/hot-rel.xml"
svt prepare "$X/host.xml"
svt attach host "$X/hot-rel.xml"
expect_rc 1 && expect_one_error
result $? "attach of an invalid device: exit 1"

# --- recover --------------------------------------------------------------------------

mkimg r.img "$HOME_CTX"
mkimg r-ro.iso
cat >"$X/rec.xml" <<EOF
<domain type='kvm'><name>rec</name><devices>
<disk type='file' device='disk'><source file='$IMG/r.img'/><target dev='vda'/></disk>
<disk type='file' device='cdrom'><source file='$IMG/r-ro.iso'/><target dev='hdc'/><readonly/></disk>
</devices></domain>
EOF
new_state
svt prepare "$X/rec.xml"
svt list
expect_rc 0 && expect_line "^rec[[:space:]]+0[[:space:]]+prepared" "list" &&
  [ "$(label "$IMG/r.img")" != "$HOME_CTX" ]
result $? "other commands leave a prepared domain alone"

svt recover
expect_rc 0 && expect_line "rec" "recover output" && expect_label "$IMG/r.img" "$HOME_CTX" &&
  expect_label "$IMG/r-ro.iso" "<none>"
result $? "recover releases a domain that never started: labels back"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "...and drops it"

svt --json recover
expect_rc 0 && json_check 'isinstance(d, dict)'
result $? "recover --json with nothing recorded: one JSON document"

# --- names given on the command line --------------------------------------------------

printf "<domain type='kvm'><name>victim</name></domain>\n" >"$X/victim.xml"
new_state
svt prepare "$X/victim.xml"
svt release "a/b"
expect_rc 1 && expect_one_error
result $? "release of a name with '/': exit 1 (invalid name)"

# A record copied outside the state directory must not be reachable by name.
mkdir -p "$WORK/outside"
cp "$STATE/domains/victim.state" "$WORK/outside/evil.state" 2>/dev/null
svt release "../../outside/evil"
rc_trav=$RC
svt --json list
{ [ "$rc_trav" = 1 ] || { diag "release ../../outside/evil: exit $rc_trav"; false; }; } &&
  json_check '[x["name"] for x in d["domains"]] == ["victim"]'
result $? "release by a name with '../' never reads outside the state directory"

svt dominfo "x/y"
expect_rc 1 && expect_one_error
result $? "dominfo of a name with '/': exit 1"

svt release ""
expect_rc 1 && expect_one_error
result $? "release of an empty name: exit 1"

svt release "$(printf 'n%.0s' {1..65})"
expect_rc 1 && expect_one_error
result $? "release of a 65-byte name: exit 1"

# Names that are valid but unusual still work end to end.
for n in '..' '-rf' 'a b'; do
  printf "<domain type='kvm'><name>%s</name></domain>\n" "$n" >"$X/odd.xml"
  new_state
  svt prepare "$X/odd.xml" && [ "$RC" = 0 ] && svt release "$n"
  expect_rc 0 && { svt --json list; json_check 'd["domains"] == []'; }
  result $? "domain named '$n': prepare and release"
done
