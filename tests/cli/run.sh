#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `svirt run`: CMD's status, SVIRT_LABEL, runcon-like failures, signal
# forwarding, and recovery after svirt itself dies.
source "$(dirname "$0")/lib.sh"

plan 35

X=$WORK/xml
B=$WORK/bin
mkdir -p "$X" "$B"
HOME_CTX=system_u:object_r:user_home_t:s0

mkimg disk.img "$HOME_CTX"
mkimg cd.iso
cat >"$X/vm.xml" <<EOF
<domain type='kvm'>
  <name>vm</name>
  <devices>
    <disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/></disk>
    <disk type='file' device='cdrom'><source file='$IMG/cd.iso'/><target dev='hdc'/><readonly/></disk>
  </devices>
</domain>
EOF
FILES=("$IMG/disk.img" "$IMG/cd.iso")
orig=$(snapshot "${FILES[@]}")

# A VM stand-in: records what it sees, then exits with its first argument.
write "$B/probe" <<EOF
#!/bin/sh
printf '%s\n' "\${SVIRT_LABEL-<unset>}" >"$WORK/probe.env"
"$PY" -c '
import os, sys
for f in sys.argv[2:]:
    try: print(os.getxattr(f, sys.argv[1]).decode())
    except OSError: print("<none>")' $XATTR "$IMG/disk.img" "$IMG/cd.iso" >"$WORK/probe.labels"
echo "probe says hello"
exit "\$1"
EOF
chmod +x "$B/probe"

# A long-running VM stand-in: writes its pid, and on SIGTERM/SIGINT writes the
# signal name and exits 3. Gives up by itself after 60 s.
write "$B/vm" <<EOF
#!/bin/sh
trap 'echo TERM >"$WORK/vm.sig"; exit 3' TERM
trap 'echo INT >"$WORK/vm.sig"; exit 3' INT
echo \$\$ >"$WORK/vm.pid"
i=0
while [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
exit 0
EOF
chmod +x "$B/vm"

reset_vm() { rm -f "$WORK/vm.pid" "$WORK/vm.sig" "$WORK/probe.env" "$WORK/probe.labels"; }

# --- status, environment, labels ---------------------------------------------------

new_state
reset_vm
svt run "$X/vm.xml" -- "$B/probe" 7
expect_rc 7
result $? "run exits with CMD's status (7)"

expect_eq "$OUT" "probe says hello" "stdout"
result $? "CMD's output goes to svirt's stdout"

env_label=$(cat "$WORK/probe.env" 2>/dev/null)
expect_match "$env_label" "$DYN_RE" "SVIRT_LABEL" && expect_pair "$env_label"
result $? "SVIRT_LABEL is the dynamic process label"

expect_eq "$(tr -s '\n' ' ' <"$WORK/probe.labels" 2>/dev/null)" "$IMAGE_CTX:$(pair_of "$env_label") $CONTENT_CTX " "labels CMD saw"
result $? "while CMD runs, the disk has the imagelabel of SVIRT_LABEL's pair, the cdrom the content context"

expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")" && { svt --json list; json_check 'd["domains"] == []'; }
result $? "after CMD exits, labels are back and nothing is recorded"

svt run "$X/vm.xml" -- "$B/probe" 0
expect_rc 0 && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "run exits 0 when CMD does"

write "$B/args" <<EOF
#!/bin/sh
for a in "\$@"; do printf '[%s]' "\$a"; done
echo
EOF
chmod +x "$B/args"
svt run "$X/vm.xml" -- "$B/args" --json -d "a b" -- ""
expect_rc 0 && expect_eq "$OUT" "[--json][-d][a b][--][]" "arguments CMD got"
result $? "CMD gets its arguments unchanged, options included"

PATH="$B:$PATH" svt run "$X/vm.xml" -- args x
expect_rc 0 && expect_eq "$OUT" "[x]" "output"
result $? "CMD is looked up in PATH"

write "$B/suicide" <<'EOF'
#!/bin/sh
kill -KILL $$
EOF
chmod +x "$B/suicide"
svt run "$X/vm.xml" -- "$B/suicide"
expect_rc 137 && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "CMD killed by SIGKILL: exit 137, labels back"

# --- seclabel type none, other drivers ----------------------------------------------

cat >"$X/none.xml" <<EOF
<domain type='kvm'>
  <name>none</name>
  <devices><disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/></disk></devices>
  <seclabel type='none' model='selinux'/>
</domain>
EOF
new_state
reset_vm
svt run "$X/none.xml" -- "$B/probe" 5
expect_rc 5 && expect_eq "$(cat "$WORK/probe.env")" "<unset>" "SVIRT_LABEL" &&
  expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "seclabel type none: SVIRT_LABEL unset, nothing relabelled"

new_state
reset_vm
svn run "$X/vm.xml" -- "$B/probe" 4
expect_rc 4 && expect_eq "$(cat "$WORK/probe.env")" "<unset>" "SVIRT_LABEL" &&
  expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "none driver: CMD runs, SVIRT_LABEL unset, nothing relabelled"

cat >"$X/static.xml" <<EOF
<domain type='kvm'>
  <name>static</name>
  <seclabel type='static' model='selinux' relabel='no'><label>system_u:system_r:svirt_t:s0:c3,c4</label></seclabel>
</domain>
EOF
new_state
reset_vm
svt run "$X/static.xml" -- "$B/probe" 0
expect_rc 0 && expect_eq "$(cat "$WORK/probe.env")" "system_u:system_r:svirt_t:s0:c3,c4" "SVIRT_LABEL"
result $? "static label: SVIRT_LABEL is that label"

# --- failures before or at exec -------------------------------------------------------

new_state
svt run "$X/vm.xml" -- "$WORK/no/such/cmd"
expect_rc 127 && expect_one_error && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "CMD not found (path): exit 127, labels back"

svt run "$X/vm.xml" -- svirt-test-no-such-command-here
expect_rc 127 && expect_one_error
result $? "CMD not found (PATH): exit 127"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "after a failed exec nothing is recorded"

printf 'echo not executable\n' >"$B/noexec"
chmod -x "$B/noexec"
svt run "$X/vm.xml" -- "$B/noexec"
expect_rc 126 && expect_one_error && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "CMD not executable: exit 126, labels back"

reset_vm
printf "<domain type='kvm'><name>bad</name>\n" >"$X/bad.xml"
svt run "$X/bad.xml" -- "$B/probe" 0
expect_rc 1 && expect_one_error && [ ! -e "$WORK/probe.env" ]
result $? "invalid domain XML: exit 1, CMD never started"

svt run "$X/vm.xml"
expect_rc 1 && expect_one_error
result $? "run without '-- CMD': exit 1"

cat >"$X/holder.xml" <<EOF
<domain type='kvm'><name>holder</name><devices>
<disk type='file' device='disk'><source file='$IMG/cd.iso'/><target dev='vda'/></disk>
</devices></domain>
EOF
new_state
svt prepare "$X/holder.xml"
held=$(snapshot "${FILES[@]}")
reset_vm
svt run "$X/vm.xml" -- "$B/probe" 0
expect_rc 2 && expect_one_error && [ ! -e "$WORK/probe.env" ] &&
  expect_same_snapshot "$held" "$(snapshot "${FILES[@]}")"
result $? "conflict with another domain: exit 2, CMD never started, nothing changed"
svt release holder

# --- while it runs; signals ------------------------------------------------------------

# start_vm: `svirt run` of vm.xml with the long-running CMD, in the
# background; SVPID is svirt's pid, VMPID CMD's.
start_vm() {
  reset_vm
  "$SVIRT_EXE" -d test -s "$STATE" "${CONF[@]}" run "$X/vm.xml" -- "$B/vm" \
    >"$WORK/bg.out" 2>"$WORK/bg.err" &
  SVPID=$!
  track_pid $SVPID
  VMPID=""
  wait_for "$WORK/vm.pid" && VMPID=$(cat "$WORK/vm.pid") && track_pid "$VMPID"
  # svirt learns CMD's pid only once launching returns; a signal sent before
  # that is not what these tests are about, so wait until it is recorded.
  local i
  for ((i = 0; i < 100; i++)); do
    svt list
    printf '%s\n' "$OUT" | grep -Eq "^vm[[:space:]]+${VMPID:-x}[[:space:]]+running" && break
    sleep 0.1
  done
  sleep 0.3
}

# wait_exit: svirt's status, or fails after 20 s; then ends CMD so that a
# stuck svirt goes on to release and leaves no label behind for later tests.
wait_exit() {
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$SVPID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SVPID" 2>/dev/null; then
    diag "svirt (pid $SVPID) still running after 20 s"
    kill -9 "$VMPID" 2>/dev/null
    wait "$SVPID" 2>/dev/null
    return 255
  fi
  wait "$SVPID"
}

new_state
start_vm
svt --json list
expect_rc 0 && [ -n "$VMPID" ] &&
  json_check "[(x['name'], x['state'], x['pid']) for x in d['domains']] == [('vm', 'running', $VMPID)]"
result $? "list --json while CMD runs: state running, pid of CMD"

running_label=$(json_get 'd["domains"][0]["label"]')
svt list
expect_rc 0 && expect_line "^vm[[:space:]]+${VMPID}[[:space:]]+running[[:space:]]+system_u:system_r:svirt_t:s0:c" "list"
result $? "list while CMD runs"

svt dominfo vm
expect_rc 0 && expect_eq "$OUT" "Security model: selinux
Security DOI:   0
Security label: $running_label (enforcing)" "dominfo"
result $? "dominfo of the running domain"

kill -TERM "$SVPID"
wait_exit
rc=$?
expect_eq "$rc" 3 "svirt's exit status" && expect_eq "$(cat "$WORK/vm.sig" 2>/dev/null)" TERM "signal CMD got"
result $? "SIGTERM to svirt reaches CMD; svirt exits with CMD's status"

expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")" && { svt --json list; json_check 'd["domains"] == []'; }
result $? "...then svirt releases: labels back, nothing recorded"

start_vm
kill -INT "$SVPID"
wait_exit
rc=$?
expect_eq "$rc" 3 "svirt's exit status" && expect_eq "$(cat "$WORK/vm.sig" 2>/dev/null)" INT "signal CMD got" &&
  expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "SIGINT to svirt reaches CMD, then svirt releases"

# --- svirt dies while CMD runs -------------------------------------------------------

new_state
# 28 pairs, to check that a running domain's pair stays reserved.
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c7"
start_vm
svt --json list
run_label=$(json_get 'd["domains"][0]["label"]')
during=$(snapshot "${FILES[@]}")
kill -9 "$SVPID"
wait "$SVPID" 2>/dev/null
svt recover
expect_rc 0 && expect_line "vm" "recover output" && expect_same_snapshot "$during" "$(snapshot "${FILES[@]}")" &&
  { svt --json list; json_check "[(x['name'], x['state'], x['pid']) for x in d['domains']] == [('vm', 'running', $VMPID)]"; }
result $? "svirt killed, CMD alive: recover keeps the domain (re-reserved), labels stay"

failed=0
for i in $(seq 1 27); do
  printf "<domain type='kvm'><name>other%d</name></domain>\n" "$i" >"$X/other.xml"
  svt prepare "$X/other.xml"
  [ "$RC" = 0 ] || { failed=1; diag "other$i: exit $RC: $ERR"; break; }
done
printf "<domain type='kvm'><name>last</name></domain>\n" >"$X/last.xml"
svt prepare "$X/last.xml"
[ $failed = 0 ] && expect_rc 2 && { svt --json list; expect_rc 0; } &&
  json_check "sorted(x['label'].rsplit(':', 1)[1] for x in d['domains']).count('$(pair_of "$run_label")') == 1 and len(d['domains']) == 28"
result $? "the orphaned running domain's pair is never handed out"

kill -9 "$VMPID"
sleep 0.3
svt --json recover
expect_rc 0 && json_check '"vm" in d.get("released", [])' && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "once CMD is gone too, recover releases it: labels back"

svt --json list
expect_rc 0 && json_check '"vm" not in [x["name"] for x in d["domains"]]'
result $? "...and it is no longer recorded"

# Liveness: a CMD that has exited but is not reaped yet (svirt stopped) is gone.
new_state
start_vm
kill -STOP "$SVPID"
kill -9 "$VMPID"
sleep 0.3
state=$(ps -o stat= -p "$VMPID" 2>/dev/null)
svt recover
expect_rc 0 && expect_line "vm" "recover output" && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "an exited but unreaped CMD (${state:-gone}) counts as gone: recover releases"
kill -9 "$SVPID" 2>/dev/null
wait "$SVPID" 2>/dev/null

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "...and it is no longer recorded"

# A domain prepared with `prepare` and started by `run` is refused: the name
# is taken.
new_state
svt prepare "$X/vm.xml"
held=$(snapshot "${FILES[@]}")
reset_vm
svt run "$X/vm.xml" -- "$B/probe" 0
expect_rc 2 && expect_one_error && [ ! -e "$WORK/probe.env" ] && expect_same_snapshot "$held" "$(snapshot "${FILES[@]}")"
result $? "run of a domain already prepared: exit 2, CMD never started"
svt release vm
expect_rc 0 && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "...and the prepared one is still released normally"

# A signal sent the instant CMD starts is never lost: CMD traps TERM, sends
# svirt SIGTERM at once and waits; svirt must pass it back to CMD (exit 42)
# and release. Repeated, because losing it was a race.
cat > "$B/bounce" <<'SH'
#!/bin/sh
trap 'exit 42' TERM
kill -TERM "$PPID"
i=0
while [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
exit 3
SH
chmod +x "$B/bounce"
lost=0
for _ in 1 2 3 4 5 6 7 8; do
  new_state
  reset_vm
  svt run "$X/vm.xml" -- "$B/bounce"
  [ "$RC" = 42 ] || lost=$((lost + 1))
done
[ $lost = 0 ] && expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "SIGTERM arriving as CMD starts is forwarded, every time ($lost of 8 lost)"

# fd passing: the launcher opens the disks and hands them over as 3, 4, ...
# described by SVIRT_FDS; the read-only cdrom comes read-only.
cat > "$B/fdprobe" <<SH
#!/bin/sh
printf '%s\n' "\$SVIRT_FDS" > "$WORK/fds.env"
readlink /proc/self/fd/3 /proc/self/fd/4 > "$WORK/fds.targets"
echo via-fd >&3 || exit 10
( echo nope >&4 ) 2>/dev/null && exit 11
exit 0
SH
chmod +x "$B/fdprobe"
new_state
cp "$IMG/disk.img" "$WORK/disk.before"
svt run --pass-fds "$X/vm.xml" -- "$B/fdprobe"
expect_rc 0 &&
  [ "$(cat "$WORK/fds.env")" = "3:rw:$IMG/disk.img,4:ro:$IMG/cd.iso" ] &&
  [ "$(cat "$WORK/fds.targets")" = "$IMG/disk.img
$IMG/cd.iso" ] &&
  grep -q via-fd "$IMG/disk.img" &&
  expect_same_snapshot "$orig" "$(snapshot "${FILES[@]}")"
result $? "run --pass-fds: disks arrive as fds 3 (rw) and 4 (ro), described by SVIRT_FDS"
cp "$WORK/disk.before" "$IMG/disk.img"
