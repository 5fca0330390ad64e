#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# save-label and restore-save-label: a save file labelled for a domain's
# process and given back its label; unknown domains, missing files, symlinks,
# system paths and directories refused with one error line and nothing
# changed.
source "$(dirname "$0")/lib.sh"

plan 24

X=$WORK/xml
mkdir -p "$X"
SAVE_CTX=system_u:object_r:virt_var_lib_t:s0

mkimg disk.img
cat >"$X/vm.xml" <<EOF
<domain type='kvm'><name>vm</name><devices>
<disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/></disk>
</devices></domain>
EOF

new_state
svt --json prepare "$X/vm.xml"
IMAGELABEL=$(json_get 'd["imagelabel"]')
[[ "$IMAGELABEL" == "$IMAGE_CTX":c* ]]
result $? "setup: the domain is prepared with an image label"

# --- round trip -------------------------------------------------------------------

mkimg vm.save "$SAVE_CTX"
svt --json save-label vm "$IMG/vm.save"
expect_rc 0 && expect_label "$IMG/vm.save" "$IMAGELABEL" &&
  json_check "d['name'] == 'vm' and len(d['resources']) == 1 and d['resources'][0]['path'] == '$IMG/vm.save' and d['resources'][0]['kind'] == 'savefile' and d['resources'][0]['label'] == '$IMAGELABEL' and d['resources'][0]['original'] == '$SAVE_CTX'"
result $? "save-label --json: the file carries the domain's image label; JSON names the original"

svt --json restore-save-label vm "$IMG/vm.save"
expect_rc 0 && expect_label "$IMG/vm.save" "$SAVE_CTX" &&
  json_check "d['name'] == 'vm' and d['resources'] == [{'path': '$IMG/vm.save', 'restored_to': '$SAVE_CTX', 'action': 'restored'}]"
result $? "restore-save-label --json: the original label is back"

mkimg bare.save
svt save-label vm "$IMG/bare.save"
expect_rc 0 && expect_label "$IMG/bare.save" "$IMAGELABEL" && expect_line "bare.save $IMAGELABEL" "text output"
result $? "save-label of an unlabelled file: labelled, 'PATH LABEL' on stdout"

svt restore-save-label vm "$IMG/bare.save"
expect_rc 0 && expect_label "$IMG/bare.save" "<none>" && expect_line "^restored +$IMG/bare.save" "text output"
result $? "restore-save-label: an unlabelled file is unlabelled again"

pushd "$IMG" >/dev/null && svt save-label vm vm.save && popd >/dev/null
expect_rc 0 && expect_label "$IMG/vm.save" "$IMAGELABEL"
result $? "save-label with a path relative to the current directory"
pushd "$IMG" >/dev/null && svt restore-save-label vm ./vm.save && popd >/dev/null
expect_rc 0 && expect_label "$IMG/vm.save" "$SAVE_CTX"
result $? "restore-save-label with a relative path"

# A save file left labelled is given back by release.
mkimg left.save "$SAVE_CTX"
svt save-label vm "$IMG/left.save"
svt release vm
expect_rc 0 && expect_label "$IMG/left.save" "$SAVE_CTX" && expect_label "$IMG/disk.img" "<none>"
result $? "release gives back a save file the caller did not"

# --- refused ---------------------------------------------------------------------

new_state
svt prepare "$X/vm.xml"
before=$(snapshot "$IMG/vm.save" "$IMG/disk.img")

svt save-label nobody "$IMG/vm.save"
expect_rc 2 && expect_one_error "nobody" && expect_no_stdout &&
  expect_same_snapshot "$before" "$(snapshot "$IMG/vm.save" "$IMG/disk.img")"
result $? "save-label for an unknown domain: exit 2, one error line, nothing changed"

svt restore-save-label nobody "$IMG/vm.save"
expect_rc 2 && expect_one_error "nobody"
result $? "restore-save-label for an unknown domain: exit 2, one error line"

svt save-label vm "$IMG/missing.save"
expect_rc 2 && expect_one_error "missing.save" && [ ! -e "$IMG/missing.save" ]
result $? "save-label of a missing file: exit 2, one error line, no file created"

svt restore-save-label vm "$IMG/missing.save"
expect_rc 2 && expect_one_error "missing.save"
result $? "restore-save-label of a file that never was labelled: exit 2, one error line"

mkimg victim "$SAVE_CTX"
ln -sfn "$IMG/victim" "$IMG/link.save"
svt save-label vm "$IMG/link.save"
expect_rc 2 && expect_one_error "symlink" && expect_label "$IMG/victim" "$SAVE_CTX"
result $? "save-label through a symlink: refused, the link's target keeps its label"

svt restore-save-label vm "$IMG/link.save"
expect_rc 2 && expect_one_error "symlink" && expect_label "$IMG/victim" "$SAVE_CTX"
result $? "restore-save-label through a symlink: refused"

etc_before=$(snapshot /etc/passwd /etc)
ln -sfn /etc/passwd "$IMG/passwd.save"
svt save-label vm "$IMG/passwd.save"
expect_rc 2 && expect_one_error "/etc/passwd" && expect_same_snapshot "$etc_before" "$(snapshot /etc/passwd /etc)"
result $? "save-label through a symlink to /etc/passwd: exit 2, one error line, untouched"

svt save-label vm /etc/passwd
expect_rc 2 && expect_one_error "/etc/passwd" && expect_same_snapshot "$etc_before" "$(snapshot /etc/passwd /etc)"
result $? "save-label of /etc/passwd: exit 2, one error line, untouched"

svt restore-save-label vm /etc/passwd
expect_rc 2 && expect_one_error "/etc/passwd" && expect_same_snapshot "$etc_before" "$(snapshot /etc/passwd /etc)"
result $? "restore-save-label of /etc/passwd: exit 2, one error line"

mkdir -p "$IMG/savedir"
svt save-label vm "$IMG/savedir"
expect_rc 2 && expect_one_error "regular file" && expect_label "$IMG/savedir" "<none>"
result $? "save-label of a directory: refused"

svt --json save-label vm "$IMG/link.save"
expect_rc 2 && expect_one_error && expect_json_error
result $? "save-label --json refused: an error document on stdout"

svt save-label vm
expect_rc 1 && expect_one_error "usage"
result $? "save-label without FILE: usage error, exit 1"

svt restore-save-label vm a b
expect_rc 1 && expect_one_error "usage"
result $? "restore-save-label with three arguments: usage error, exit 1"

# Nothing refused above was recorded: release gives back the disk alone.
svt --json release vm
expect_rc 0 && json_check "[r['path'] for r in d['resources']] == ['$IMG/disk.img']" &&
  expect_label "$IMG/disk.img" "<none>" && expect_label "$IMG/vm.save" "$SAVE_CTX"
result $? "no refused save file was recorded"

# --- domains whose files are not relabelled -----------------------------------

new_state
svn prepare "$X/vm.xml"
svn save-label vm "$IMG/vm.save"
expect_rc 0 && expect_line "vm.save \(untouched\)" "text output" && expect_label "$IMG/vm.save" "$SAVE_CTX"
result $? "driver none: save-label leaves the file untouched"
svn restore-save-label vm "$IMG/vm.save"
expect_rc 0 && expect_label "$IMG/vm.save" "$SAVE_CTX"
result $? "driver none: restore-save-label has nothing to do and succeeds"
svn release vm
