#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live migration: `prepare --incoming` draws a fresh pair whatever the source's
# XML carries, keeps static labels and leaves shared storage alone;
# `release --migrated` restores local files and leaves shared ones with the
# label the destination uses. Shared storage is named with --shared-path (the
# scratch directory is on a local filesystem).
source "$(dirname "$0")/lib.sh"

plan 22

X=$WORK/xml
NFS=$IMG/nfs
mkdir -p "$X" "$NFS"
ORIG=system_u:object_r:virt_image_t:s0
SRC_IMAGE=$IMAGE_CTX:c1,c2

case $(stat -f -c %T "$IMG" 2>/dev/null) in
  nfs*|cifs|smb*|gfs*|ocfs2|ceph|9p|fuse*) skip_all "the scratch directory is on shared storage" ;;
esac

# domain_xml NAME SECLABEL DISK...: a domain with one disk per path.
domain_xml() {
  local name=$1 seclabel=$2 dev=a p
  shift 2
  printf "<domain type='kvm'><name>%s</name>%s<devices>\n" "$name" "$seclabel"
  for p in "$@"; do
    printf "<disk type='file' device='disk'><source file='%s'/><target dev='vd%s'/></disk>\n" "$p" "$dev"
    dev=$(echo "$dev" | tr 'a-y' 'b-z')
  done
  printf "</devices></domain>\n"
}

carried() {
  echo "<seclabel type='dynamic' model='selinux' relabel='yes'><label>system_u:system_r:svirt_t:s0:$1</label><imagelabel>$IMAGE_CTX:$1</imagelabel></seclabel>"
}

# --- labels on the destination ------------------------------------------------------

new_state
mkimg local.img "$ORIG"
domain_xml vm "$(carried c1,c2)" "$IMG/local.img" >"$X/in.xml"
svt --json prepare --incoming "$X/in.xml"
got=$(json_get 'd["label"]')
expect_rc 0 && expect_match "$got" "$DYN_RE" "label" && [ "$(pair_of "$got")" != "c1,c2" ] &&
  json_check 'd["type"] == "dynamic" and not d["imagelabel"].endswith(":c1,c2")' &&
  expect_label "$IMG/local.img" "$(json_get 'd["imagelabel"]')"
result $? "prepare --incoming: a fresh pair, not the one the source's XML carries"

svt --json list
expect_rc 0 && json_check "[x['label'] for x in d['domains']] == ['$got']"
result $? "...and the domain is recorded with this host's label"

svt release vm
expect_rc 0 && expect_label "$IMG/local.img" "$ORIG"
result $? "release on the destination restores the local disk"

# The carried pair belongs to a domain of this host.
new_state
mkimg other.img
domain_xml here "" "$IMG/other.img" >"$X/here.xml"
svt --json prepare "$X/here.xml"
here_pair=$(pair_of "$(json_get 'd["label"]')")
domain_xml vm "$(carried "$here_pair")" "$IMG/local.img" >"$X/in-taken.xml"
svt --json prepare --incoming "$X/in-taken.xml"
got_pair=$(pair_of "$(json_get 'd["label"]')")
expect_rc 0 && [ -n "$got_pair" ] && [ "$got_pair" != "$here_pair" ]
result $? "prepare --incoming whose carried pair a domain here holds: another pair"
svt --json list
json_check "sorted(x['label'].rsplit(':', 1)[1] for x in d['domains']) == sorted(['$here_pair', '$got_pair'])"
result $? "...and the local domain keeps its own"
svt release vm
svt release here

# Static labels come along as they are.
new_state
STATIC="<seclabel type='static' model='selinux' relabel='yes'><label>system_u:system_r:svirt_t:s0:c5,c6</label></seclabel>"
domain_xml vm "$STATIC" "$IMG/local.img" >"$X/static.xml"
svt --json prepare --incoming "$X/static.xml"
expect_rc 0 && json_check 'd["type"] == "static" and d["label"] == "system_u:system_r:svirt_t:s0:c5,c6"' &&
  expect_label "$IMG/local.img" "$IMAGE_CTX:c5,c6"
result $? "prepare --incoming keeps a static label"

mkimg second.img "$ORIG"
domain_xml other "$STATIC" "$IMG/second.img" >"$X/static2.xml"
svt prepare --incoming "$X/static2.xml"
expect_rc 2 && expect_one_error "'other'.*'vm'" && expect_no_stdout && expect_label "$IMG/second.img" "$ORIG"
result $? "prepare --incoming of a static pair held here: exit 2, one line naming both domains, nothing changed"
svt release vm

# --- storage on the destination ------------------------------------------------------

new_state
mkimg local.img "$ORIG"
rm -f "$NFS/shared.img"
echo shared >"$NFS/shared.img"
set_label "$NFS/shared.img" "$SRC_IMAGE"
domain_xml vm "$(carried c1,c2)" "$IMG/local.img" "$NFS/shared.img" >"$X/in.xml"
svt --json prepare --incoming --shared-path "$NFS" "$X/in.xml"
dst_image=$(json_get 'd["imagelabel"]')
expect_rc 0 && expect_label "$NFS/shared.img" "$SRC_IMAGE" && expect_label "$IMG/local.img" "$dst_image" &&
  json_check "[(r['changed'], r['shared']) for r in d['resources'] if r['path'] == '$NFS/shared.img'] == [(False, True)]"
result $? "prepare --incoming: the shared disk keeps the source's label, the local one is relabelled"

expect_match "$ERR" "^svirt: warning: .*shared\.img.*shared storage" "stderr"
result $? "...with a warning that the VM here cannot use the source's label"

svt --json release vm
expect_rc 0 && expect_label "$IMG/local.img" "$ORIG" && expect_label "$NFS/shared.img" "$SRC_IMAGE" &&
  json_check "[r['path'] for r in d['resources']] == ['$IMG/local.img']"
result $? "release on the destination: the local disk restored, the shared one never recorded"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "...and nothing is left recorded"

# --- the source side ------------------------------------------------------------------

new_state
mkimg local.img "$ORIG"
set_label "$NFS/shared.img" "$ORIG"
domain_xml vm "" "$IMG/local.img" "$NFS/shared.img" >"$X/src.xml"
svt --json prepare "$X/src.xml"
src_image=$(json_get 'd["imagelabel"]')
svt --json release --migrated --shared-path "$NFS" vm
expect_rc 0 && expect_label "$IMG/local.img" "$ORIG" && expect_label "$NFS/shared.img" "$src_image" &&
  json_check "sorted((r['path'], r['action'], r['restored_to']) for r in d['resources']) == sorted([('$IMG/local.img', 'restored', '$ORIG'), ('$NFS/shared.img', 'kept', '$src_image')])"
result $? "release --migrated: local disk restored, shared disk kept with the label the destination uses"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "...the domain is gone"

svt release vm
expect_rc 2 && expect_one_error "vm"
result $? "...and cannot be released twice"

# The shared file's record is gone too: a domain here may take the disk with
# its own label (a leftover record would make this a conflict).
domain_xml again "" "$NFS/shared.img" >"$X/again.xml"
svt --json prepare "$X/again.xml"
expect_rc 0 && json_check "d['resources'][0]['original'] == '$src_image'"
result $? "release --migrated forgot the shared file: another domain can take it"
svt release again
expect_rc 0 && expect_label "$NFS/shared.img" "$src_image"
result $? "...and gives it back the label it found"

# Without shared storage a migrated release restores everything.
new_state
mkimg local.img "$ORIG"
domain_xml vm "" "$IMG/local.img" >"$X/plain.xml"
svt prepare "$X/plain.xml"
svt --json release --migrated vm
expect_rc 0 && expect_label "$IMG/local.img" "$ORIG" && json_check "[r['action'] for r in d['resources']] == ['restored']"
result $? "release --migrated with local storage only: everything restored"

# --- usage ------------------------------------------------------------------------------

new_state
svt prepare --shared-path "$NFS" "$X/plain.xml"
expect_rc 1 && expect_one_error "usage"
result $? "--shared-path without --incoming: usage error, exit 1"

svt release --frobnicate vm
expect_rc 1 && expect_one_error "usage"
result $? "release with an unknown option: usage error, exit 1"

svt --json prepare --incoming
expect_rc 1 && expect_json_error
result $? "prepare --incoming without XML: usage error, exit 1, JSON error document"

svt release --migrated nobody
expect_rc 2 && expect_one_error "nobody"
result $? "release --migrated of an unknown domain: exit 2, one error line"

svt prepare --incoming=yes "$X/plain.xml"
expect_rc 1 && expect_one_error "usage"
result $? "an option with an unexpected value: usage error, exit 1"
