#!/bin/bash
# Crash safety: svirt is killed (SIGKILL, through its fault injection points)
# at every step of prepare and release, and after each kill recovery must put
# every file back to its original label and free every category pair, without
# disturbing a domain that was running alongside. Drives the built `svirt`
# with the test driver (labels in user.svirt.label).
# Usage: crash.sh SVIRT FAULT_INJECTION(true|false)
set -u
SVIRT=$1
if [ "${2:-false}" != true ]; then
  echo "1..0 # SKIP svirt was built without -Dfault_injection=true"
  exit 0
fi
base=""
for d in "${SVIRT_BUILD_ROOT:-}" /var/tmp /tmp; do
  [ -n "$d" ] && [ -d "$d" ] || continue
  t=$(mktemp -d "$d/svirt-crash-XXXXXX") || continue
  if touch "$t/p" && setfattr -n user.svirt.probe -v 1 "$t/p" 2>/dev/null; then base=$t; break; fi
  rm -rf "$t"
done
if [ -z "$base" ]; then echo "1..0 # SKIP no filesystem with user xattrs"; exit 0; fi
trap 'rm -rf "$base"' EXIT

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
label() { getfattr --only-values -n user.svirt.label "$1" 2>/dev/null || echo "<none>"; }

run_svirt() { "$SVIRT" --driver=test -s "$state" "$@"; }

# Files: each gets an original label (or none), recorded for comparison.
declare -A original
mkfile() {  # mkfile PATH [LABEL]
  echo data > "$1"
  if [ -n "${2:-}" ]; then setfattr -n user.svirt.label -v "$2" "$1"; fi
  original[$1]=$(label "$1")
}

disk() { echo "<disk type='file' device='disk'><source file='$1'/><target dev='$2'/>$3</disk>"; }

setup_world() {  # fresh files, state and a bystander domain that keeps running
  rm -rf "$base/w"; mkdir -p "$base/w"
  w=$base/w
  state=$w/state
  original=()
  mkfile "$w/a.img" system_u:object_r:virt_image_t:s0
  mkfile "$w/b.img"
  mkfile "$w/shared.iso" system_u:object_r:user_home_t:s0
  mkfile "$w/by.img" system_u:object_r:virt_image_t:s0
  cat > "$w/vm.xml" <<XML
<domain type='kvm'><name>vm</name><devices>
$(disk "$w/a.img" vda "")
$(disk "$w/b.img" vdb "")
$(disk "$w/shared.iso" hdc "<readonly/>")
</devices></domain>
XML
  cat > "$w/bystander.xml" <<XML
<domain type='kvm'><name>bystander</name><devices>
$(disk "$w/by.img" vda "")
$(disk "$w/shared.iso" hdc "<readonly/>")
</devices></domain>
XML
  # The bystander runs (an explicit recover releases prepared domains that
  # never started, as it should).
  run_svirt run "$w/bystander.xml" -- sleep 300 >/dev/null 2>&1 &
  bystander_runner=$!
  for _ in $(seq 100); do run_svirt list 2>/dev/null | grep -q '^bystander .*running' && break; sleep 0.05; done
  bystander_label=$(label "$w/by.img")
  [ "$bystander_label" != "${original[$w/by.img]}" ]
}

stop_bystander() {  # ends the bystander's VM; its svirt run then releases it
  local pid
  pid=$(run_svirt list 2>/dev/null | awk '$1 == "bystander" {print $2}')
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait "$bystander_runner" 2>/dev/null
}

# After recovery: vm's files are back, the bystander is untouched, only its pair is taken.
check_recovered() {  # check_recovered DESC
  local bad=()
  for f in "$w/a.img" "$w/b.img"; do
    [ "$(label "$f")" = "${original[$f]}" ] || bad+=("$f is $(label "$f"), want ${original[$f]}")
  done
  [ "$(label "$w/shared.iso")" = system_u:object_r:virt_content_t:s0 ] ||
    bad+=("shared.iso is $(label "$w/shared.iso") while the bystander still uses it")
  [ "$(label "$w/by.img")" = "$bystander_label" ] || bad+=("bystander's disk changed")
  local pairs
  pairs=$(grep -c '^c[0-9]*,c[0-9]*=' "$state/mcs.db" 2>/dev/null || true)
  [ "$pairs" = 1 ] || bad+=("$pairs pairs registered, want 1 (the bystander's)")
  run_svirt list | grep -q '^vm ' && bad+=("vm still listed")
  stop_bystander
  for f in "$w/by.img" "$w/shared.iso"; do
    [ "$(label "$f")" = "${original[$f]}" ] || bad+=("after bystander release $f is $(label "$f")")
  done
  if [ ${#bad[@]} = 0 ]; then ok "$1"; else notok "$1" "${bad[@]}"; fi
}

# journal:appended: the record is written but not yet synced (a crash of svirt
# alone keeps it: the page cache holds it).
prepare_points="gen_label:pair-registered prepare:domain-recorded journal:appended:1
apply:intent-recorded apply:label-set:1 apply:label-set:2 prepare:labels-applied"
release_points="restore:label-restored:1 restore:label-restored:2 release:labels-restored
journal:appended:1 release:label-released"

for p in $prepare_points; do
  setup_world || { notok "setup for $p"; continue; }
  SVIRT_FAULT=$p run_svirt prepare "$w/vm.xml" >/dev/null 2>&1
  rc=$?
  if [ $rc != 137 ]; then notok "prepare killed at $p" "exit $rc, expected 137 (SIGKILL)"; continue; fi
  run_svirt recover >/dev/null 2>&1
  check_recovered "prepare killed at $p: recover restores everything"
done

for p in $release_points; do
  setup_world || { notok "setup for $p"; continue; }
  run_svirt prepare "$w/vm.xml" >/dev/null || { notok "prepare before $p"; continue; }
  SVIRT_FAULT=$p run_svirt release vm >/dev/null 2>&1
  rc=$?
  if [ $rc != 137 ]; then notok "release killed at $p" "exit $rc, expected 137"; continue; fi
  run_svirt recover >/dev/null 2>&1
  check_recovered "release killed at $p: recover restores everything"
done

# svirt run killed while the VM runs: the VM outlives it; once the VM is gone,
# the next svirt command (any) restores its files on its own.
setup_world
run_svirt run "$w/vm.xml" -- sleep 30 >/dev/null 2>&1 &
runner=$!
for _ in $(seq 50); do run_svirt list 2>/dev/null | grep -q '^vm .*running' && break; sleep 0.1; done
vm_pid=$(run_svirt list 2>/dev/null | awk '$1 == "vm" {print $2}')
kill -9 $runner; wait $runner 2>/dev/null
if [ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null; then
  run_svirt list >/dev/null  # while the VM lives, recovery keeps its labels
  if [ "$(label "$w/a.img")" != "${original[$w/a.img]}" ]; then ok "a running VM keeps its labels after svirt run is killed"
  else notok "a running VM keeps its labels after svirt run is killed"; fi
  kill -9 "$vm_pid"
  for _ in $(seq 50); do kill -0 "$vm_pid" 2>/dev/null || break; sleep 0.1; done
  run_svirt list >/dev/null  # any command recovers
  check_recovered "svirt run killed, VM died later: next command restores everything"
else
  notok "svirt run started the VM" "no running vm found"
fi

# A 300-disk domain killed at random moments of prepare and release.
big() {
  rm -rf "$base/big"; mkdir -p "$base/big"; bigstate=$base/big/state
  original=()
  {
    echo "<domain type='kvm'><name>big</name><devices>"
    for i in $(seq 1 300); do
      f=$base/big/d$i.img
      if [ $((i % 2)) = 0 ]; then mkfile "$f" "system_u:object_r:virt_image_t:s0:c$((i % 1000))"; else mkfile "$f"; fi
      disk "$f" "vd$i" ""
    done
    echo "</devices></domain>"
  } > "$base/big/big.xml"
}
check_big() {
  local bad=0
  for i in $(seq 1 300); do
    f=$base/big/d$i.img
    [ "$(label "$f")" = "${original[$f]}" ] || bad=$((bad + 1))
  done
  local pairs
  pairs=$(grep -c '^c[0-9]*,c[0-9]*=' "$bigstate/mcs.db" 2>/dev/null || true)
  if [ $bad = 0 ] && [ "$pairs" = 0 ]; then ok "$1"; else notok "$1" "$bad files not restored, $pairs pairs left"; fi
}
for k in 1 2 3; do
  N=$((RANDOM % 300 + 1))
  big
  SVIRT_FAULT=apply:label-set:$N "$SVIRT" --driver=test -s "$bigstate" prepare "$base/big/big.xml" >/dev/null 2>&1
  rc=$?
  "$SVIRT" --driver=test -s "$bigstate" recover >/dev/null 2>&1
  [ $rc = 137 ] || notok "300-disk prepare killed at label $N" "exit $rc"
  check_big "300-disk prepare killed after label $N of 300: all restored"
done
for k in 1 2; do
  N=$((RANDOM % 300 + 1))
  big
  "$SVIRT" --driver=test -s "$bigstate" prepare "$base/big/big.xml" >/dev/null
  SVIRT_FAULT=restore:label-restored:$N "$SVIRT" --driver=test -s "$bigstate" release big >/dev/null 2>&1
  rc=$?
  "$SVIRT" --driver=test -s "$bigstate" recover >/dev/null 2>&1
  [ $rc = 137 ] || notok "300-disk release killed at restore $N" "exit $rc"
  check_big "300-disk release killed after restore $N of 300: all restored"
done

echo "1..$n"
[ $fails = 0 ]
