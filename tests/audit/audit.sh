#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `svirt audit` end to end, with the test driver (labels in the user.svirt.label
# xattr) and Debian's compiled policy: three prepared domains show no cross
# access; a planted fault makes the command exit 3 and name it. Speaks TAP.
#
# Usage: audit.sh SVIRT_EXECUTABLE
set -u

SVIRT=${1:-}
n=0
failed=0

ok() {  # ok STATUS DESCRIPTION
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
diag() { printf '%s\n' "$@" | head -n 40 | sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $*"; echo "SKIPPED: $*" >&2; exit 0; }

[ -x "$SVIRT" ] || { echo "Bail out! svirt executable not given"; exit 1; }
ls /etc/selinux/default/policy/policy.* >/dev/null 2>&1 ||
  skip_all "no compiled policy in /etc/selinux/default/policy (selinux-policy-default)"
command -v python3 >/dev/null || skip_all "python3 is needed to read JSON"
command -v setfattr >/dev/null || skip_all "setfattr (package attr) is needed"

dir=""
for base in "${SVIRT_BUILD_ROOT:-}" /var/tmp /tmp; do
  [ -n "$base" ] && [ -d "$base" ] || continue
  d=$(mktemp -d "$base/svirt-audit-XXXXXX" 2>/dev/null) || continue
  if touch "$d/probe" && setfattr -n user.svirt.probe -v 1 "$d/probe" 2>/dev/null; then
    rm -f "$d/probe"
    dir=$d
    break
  fi
  rm -rf "$d"
done
[ -n "$dir" ] || skip_all "no filesystem with user xattrs for the test files"
trap 'rm -rf "$dir"' EXIT

state=$dir/state
sv() { "$SVIRT" --driver=test -s "$state" "$@"; }

if ! sv audit >/dev/null 2>"$dir/err" && grep -q "without libsepol" "$dir/err"; then
  skip_all "svirt was built without libsepol"
fi

# json_check FILE PYTHON-EXPRESSION: the expression, over `r` (the document),
# must be true.
json_check() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ids = [f["id"] for f in r["findings"]]
def has(i, path=None, domain=None):
    return any(f["id"] == i and (path is None or f["path"] == path)
               and (domain is None or f["domain"] == domain) for f in r["findings"])
dom = {d["name"]: d for d in r["domains"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

echo "1..14"

mkdir -p "$dir/img"
echo base > "$dir/img/base.iso"
for i in 1 2 3; do
  echo disk > "$dir/img/vm$i.img"
  cat > "$dir/vm$i.xml" <<EOF
<domain type='kvm'>
  <name>vm$i</name>
  <devices>
    <disk type='file' device='disk'><source file='$dir/img/vm$i.img'/><target dev='vda'/></disk>
    <disk type='file' device='cdrom'><source file='$dir/img/base.iso'/><target dev='hdc'/><readonly/></disk>
  </devices>
</domain>
EOF
done

status=0
for i in 1 2 3; do sv prepare "$dir/vm$i.xml" >/dev/null 2>"$dir/err" || { status=1; diag "$(cat "$dir/err")"; }; done
ok $status "three domains prepared with the test driver"

sv audit --json >"$dir/clean.json" 2>"$dir/err"
rc=$?
[ $rc -eq 0 ]
ok $? "clean layout: exit 0 (got $rc)"
[ $rc -eq 0 ] || diag "$(cat "$dir/err" "$dir/clean.json")"

json_check "$dir/clean.json" \
  'len(r["domains"]) == 3 and all(d["verdict"] == "isolated" and d["cross_domain"] == 0 and not d["outside"] for d in r["domains"]) and not r["writes_outside_own"]'
ok $? "clean layout: every domain isolated, no cross access"

json_check "$dir/clean.json" 'ids == [] and all(d["own"] == 2 and d["own_reachable"] == 2 for d in r["domains"])'
ok $? "clean layout: no findings; each domain reaches its disk and the shared base image"

"$SVIRT" --driver=test -s "$state" --json audit >"$dir/global.json" 2>/dev/null
cmp -s "$dir/clean.json" "$dir/global.json"
ok $? "the global --json gives the same document"

sv audit >"$dir/clean.txt" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^verdict: no domain can write outside its own set' "$dir/clean.txt" &&
  grep -q '^vm2 ' "$dir/clean.txt"
ok $? "human output: a line per domain and the verdict"

# The same fault written the way chcon writes labels, with a trailing NUL:
# libselinux does not count the NUL as part of the context, nor may audit.
setfattr -n user.svirt.label -v 'system_u:object_r:svirt_image_t:s0\000' "$dir/img/vm1.img"
sv audit --json >"$dir/nul.json" 2>"$dir/err"
rc=$?
json_check "$dir/nul.json" \
  "has('writable-uncategorized', path='$dir/img/vm1.img') and not has('invalid-label') and r['writes_outside_own']"
status=$?
[ $rc -eq 3 ] && [ $status -eq 0 ]
ok $? "a label with a trailing NUL is that label: writable-uncategorized, exit 3 (got $rc)"
[ $rc -eq 3 ] && [ $status -eq 0 ] || diag "$(cat "$dir/err" "$dir/nul.json")"

sv audit >"$dir/nul.txt" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "  $dir/img/vm1.img  system_u:object_r:svirt_image_t:s0  belongs to vm1\$" "$dir/nul.txt"
ok $? "human output: the label without its NUL (exit $rc)"

# Fault: vm1's disk loses its categories; vm2 and vm3 can now write it.
setfattr -n user.svirt.label -v system_u:object_r:svirt_image_t:s0 "$dir/img/vm1.img"
sv audit --json >"$dir/fault.json" 2>"$dir/err"
rc=$?
[ $rc -eq 3 ]
ok $? "disk relabelled to svirt_image_t:s0: exit 3 (got $rc)"
[ $rc -eq 3 ] || diag "$(cat "$dir/err")"

json_check "$dir/fault.json" \
  "has('writable-uncategorized', path='$dir/img/vm1.img') and has('cross-domain-access', path='$dir/img/vm1.img', domain='vm2') and dom['vm2']['verdict'] == 'cross-domain' and dom['vm1']['verdict'] == 'isolated' and r['writes_outside_own']"
status=$?
ok $status "the fault is named: writable-uncategorized, cross-domain-access by vm2"
[ $status -eq 0 ] || diag "$(cat "$dir/fault.json")"

# A file left with the label of a domain that is gone, found by walking PATH.
echo old > "$dir/img/gone.img"
setfattr -n user.svirt.label -v system_u:object_r:svirt_image_t:s0:c1020,c1021 "$dir/img/gone.img"
sv audit --json "$dir/img" >"$dir/walk.json" 2>/dev/null
rc=$?
json_check "$dir/walk.json" "has('leftover-label', path='$dir/img/gone.img') and r['objects'] == 6"
status=$?
[ $rc -eq 3 ] && [ $status -eq 0 ]
ok $? "walking a PATH: leftover-label for a dead domain's file (exit $rc)"

sv audit --json --domain vm3 >"$dir/one.json" 2>/dev/null
json_check "$dir/one.json" "[d['name'] for d in r['domains']] == ['vm3']"
ok $? "--domain NAME reports on that domain only"

sv audit --domain nosuch >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] && grep -q "nosuch" "$dir/err"
ok $? "unknown --domain: exit 2 naming it (got $rc)"

sv audit --bogus >/dev/null 2>&1
rc=$?
sv audit --policy "$dir/nothing/policy.33" >/dev/null 2>"$dir/err"
rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 2 ] && grep -q "nothing/policy.33" "$dir/err"
ok $? "unknown option: exit 1 (got $rc); missing --policy file: exit 2 naming it (got $rc2)"

exit 0
