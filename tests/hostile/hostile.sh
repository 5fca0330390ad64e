#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile files through the `svirt` command: a hard link refused (and the
# config key that allows it), an image replaced while its VM runs (release
# exits 2, touches neither file, keeps the domain; `forget` is the way out),
# a file relabelled since, and files of the wrong kind refused with one
# error line, nothing changed.
source "$(dirname "$(readlink -f "$0")")/../cli/lib.sh"

plan 12

X=$WORK/xml
mkdir -p "$X"
ORIG=system_u:object_r:virt_image_t:s0
OTHER=system_u:object_r:admin_home_t:s0

domain() {  # NAME SOURCE-ELEMENTS
  cat >"$X/$1.xml" <<XML
<domain type='kvm'><name>$1</name><devices>$2</devices></domain>
XML
}
file_disk() { echo "<disk type='file' device='disk'><source file='$1'/><target dev='vda'/></disk>"; }

# --- hard links ----------------------------------------------------------------

mkimg shadow "$OTHER"
ln "$IMG/shadow" "$IMG/linked.img"
domain vm "$(file_disk "$IMG/linked.img")"
new_state
svt prepare "$X/vm.xml"
expect_rc 2 && expect_one_error "linked\.img.*hard links" && expect_no_stdout &&
  expect_label "$IMG/shadow" "$OTHER"
result $? "a disk with a second name elsewhere is refused (exit 2), the other file untouched"

use_config "[security]" "allow_hard_links = true"
svt prepare "$X/vm.xml"
expect_rc 0 && [ "$(label "$IMG/shadow")" != "$OTHER" ]
result $? "allow_hard_links = true: the same disk is labelled"
svt release vm
expect_rc 0 && expect_label "$IMG/shadow" "$OTHER"
result $? "...and given back on release"

# --- an image replaced while the VM runs ----------------------------------------

new_state
mkimg vm.img "$ORIG"
mkdir -p "$WORK/away"
domain vm "$(file_disk "$IMG/vm.img")"
svt prepare "$X/vm.xml"
vmlabel=$(label "$IMG/vm.img")
mv "$IMG/vm.img" "$WORK/away/vm.img"
mkimg vm.img "$OTHER"
svt --json release vm
expect_rc 2 && json_check 'd["resources"][0]["action"] == "failed" and "not the file svirt labelled" in d["resources"][0]["error"]' &&
  expect_label "$IMG/vm.img" "$OTHER" && expect_label "$WORK/away/vm.img" "$vmlabel"
result $? "release of a replaced image: exit 2, neither file written"

svt list
expect_rc 0 && expect_line '^vm ' "list"
result $? "...the domain stays prepared (its pair is not handed out again)"

set_label "$WORK/away/vm.img" "$ORIG"
svt forget vm "$IMG/vm.img"
expect_rc 0 && expect_line '^forgotten +.*/vm\.img$' "forget" &&
  expect_match "$ERR" "before that it carried $ORIG" "warning"
result $? "forget: the record dropped, the original named in a warning"

svt release vm
expect_rc 0 && expect_label "$IMG/vm.img" "$OTHER"
result $? "...then release completes"

svt forget vm "$IMG/vm.img"
expect_rc 2 && expect_match "$ERR" "no record of" "stderr"
result $? "forget of a path with no record: exit 2"

# --- relabelled since -----------------------------------------------------------

new_state
mkimg vm.img "$ORIG"
svt prepare "$X/vm.xml"
set_label "$IMG/vm.img" "$OTHER"
svt release vm
expect_rc 2 && expect_match "$ERR" "relabelled since" "stderr" && expect_label "$IMG/vm.img" "$OTHER"
result $? "a label someone gave the image since is left, release exits 2"

# --- kinds of file --------------------------------------------------------------

new_state
mkfifo "$IMG/fifo"
domain vm "$(file_disk "$IMG/fifo")"
svt prepare "$X/vm.xml"
expect_rc 2 && expect_one_error "fifo.*FIFO, not a regular file" && expect_no_stdout
result $? "a FIFO as a type='file' disk is refused (exit 2)"

new_state
mkdir -p "$IMG/dir.img"
domain vm "$(file_disk "$IMG/dir.img")"
svt prepare "$X/vm.xml"
expect_rc 2 && expect_one_error "dir\.img.*directory, not a regular file" && [ ! -e "$STATE/files.journal" ]
result $? "a directory as a type='file' disk is refused (exit 2), nothing recorded"

new_state
domain vm "$(file_disk /dev/zero)"
svt prepare "$X/vm.xml"
expect_rc 2 && expect_one_error "/dev/zero" && [ ! -e "$STATE/files.journal" ]
result $? "/dev/zero as a type='file' disk is refused (exit 2), nothing recorded"
