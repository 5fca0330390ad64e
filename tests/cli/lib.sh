# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Shared by the `svirt` command tests (sourced, not run). Each script gets the
# svirt executable as $1, speaks TAP on stdout and drives svirt with the test
# driver (labels in the user.svirt.label xattr) or the none driver, in a
# private temporary directory that it removes on exit.
#
# A result is reported with `result $? "description"` right after the checks
# it covers; `todo "reason"` before it marks a known contract violation, so the
# suite stays green while the test keeps asserting the contract.

set -u

SVIRT_EXE=${1:-}
XATTR=user.svirt.label

_tap_n=0
_tap_todo=""

# diag LINE...: TAP comments (each argument may hold several lines; long
# values are cut at 40 lines).
diag() {
  local arg
  for arg in "$@"; do
    printf '%s\n' "$arg" | head -n 40 | sed 's/^/# /'
  done
}

skip_all() {
  echo "1..0 # SKIP $*"
  # Meson's TAP reader turns a non-zero status into an error, so the skip is
  # told through the plan and the status stays 0.
  echo "SKIPPED: $*" >&2
  exit 0
}

plan() { echo "1..$1"; }

todo() { _tap_todo="$*"; }

skip() { echo "ok $((_tap_n += 1)) - $1 # SKIP $2"; }

# result STATUS DESCRIPTION: one TAP line; STATUS 0 passes.
result() {
  local status=$1 desc=$2 directive=""
  _tap_n=$((_tap_n + 1))
  [ -n "$_tap_todo" ] && directive=" # TODO $_tap_todo"
  _tap_todo=""
  if [ "$status" -eq 0 ]; then
    echo "ok $_tap_n - $desc$directive"
  else
    echo "not ok $_tap_n - $desc$directive"
  fi
}

# --- environment -----------------------------------------------------------

[ -n "$SVIRT_EXE" ] && [ -x "$SVIRT_EXE" ] || { echo "Bail out! svirt executable not given"; exit 1; }
command -v python3 >/dev/null || skip_all "python3 is needed to read JSON"
# The interpreter itself, not a wrapper script that may take a second to start.
PY=$(python3 -c 'import sys; print(sys.executable)') && [ -x "$PY" ] || PY=python3
command -v timeout >/dev/null || skip_all "timeout (coreutils) is needed"

have_getfattr=0
command -v getfattr >/dev/null && command -v setfattr >/dev/null && have_getfattr=1

_py_setxattr='import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())'

_xattr_ok() {
  local probe=$1/.xattr-probe
  : >"$probe" || return 1
  "$PY" -c "$_py_setxattr" "$probe" "$XATTR" probe 2>/dev/null
  local rc=$?
  rm -f "$probe"
  return $rc
}

WORK=""
for base in "${SVIRT_BUILD_ROOT:-}" /var/tmp "${TMPDIR:-/tmp}"; do
  [ -n "$base" ] && [ -d "$base" ] && [ -w "$base" ] || continue
  dir=$(mktemp -d "$base/svirt-cli.XXXXXX" 2>/dev/null) || continue
  if _xattr_ok "$dir"; then WORK=$dir; break; fi
  rmdir "$dir"
done
[ -n "$WORK" ] || skip_all "no writable filesystem with user xattr support (tried the build dir, /var/tmp, \$TMPDIR)"

IMG=$WORK/img
mkdir -p "$IMG"
_bg_pids=()

# Remember a background process this script started, to end it on exit.
track_pid() { _bg_pids+=("$1"); }

_cleanup() {
  local p
  for p in "${_bg_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap _cleanup EXIT

# --- running svirt ---------------------------------------------------------

STATE=""
CONF=()
_state_n=0

# A fresh state directory for the next test, with an empty config file so
# that a host's /etc/svirt/svirt.conf never changes the defaults under test.
new_state() {
  _state_n=$((_state_n + 1))
  STATE=$WORK/state$_state_n
  : >"$WORK/conf$_state_n.conf"
  CONF=(-c "$WORK/conf$_state_n.conf")
}

# Uses a config file with the given text for the following svt calls.
use_config() {
  local f=$WORK/conf$_state_n.conf
  printf '%s\n' "$@" >"$f"
  CONF=(-c "$f")
}

# sv ARGS...: runs svirt; sets OUT, ERR (without trailing newlines) and RC.
sv() {
  timeout 60 "$SVIRT_EXE" "$@" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
  return 0
}

# svt ARGS...: svirt with the test driver, the current state dir and config.
svt() { sv -d test -s "$STATE" ${CONF[@]+"${CONF[@]}"} "$@"; }
svn() { sv -d none -s "$STATE" ${CONF[@]+"${CONF[@]}"} "$@"; }

# --- checks (each returns non-zero and prints a diagnostic on mismatch) -----

expect_rc() {
  [ "$RC" = "$1" ] && return 0
  diag "exit status $RC, expected $1" "stdout: $OUT" "stderr: $ERR"
  return 1
}

expect_eq() {  # GOT WANT WHAT
  [ "$1" = "$2" ] && return 0
  diag "$3: got '$1'" "$3: want '$2'"
  return 1
}

expect_match() {  # GOT ERE WHAT
  [[ "$1" =~ $2 ]] && return 0
  diag "$3: '$1' does not match /$2/"
  return 1
}

# expect_one_error [ERE]: a failed command printed exactly one stderr line,
# "svirt: error: ...". (The "<what>: <why>" split is checked on its own.)
expect_one_error() {
  local lines
  lines=$(printf '%s\n' "$ERR" | grep -c '')
  if [ -z "$ERR" ] || [ "$lines" -ne 1 ]; then
    diag "expected one stderr line, got $lines:" "$ERR"
    return 1
  fi
  expect_match "$ERR" '^svirt: error: [^ ].*' "stderr" || return 1
  [ -n "${1:-}" ] && { expect_match "$ERR" "$1" "stderr" || return 1; }
  return 0
}

# expect_line ERE WHAT: some line of stdout matches.
expect_line() {
  printf '%s\n' "$OUT" | grep -Eq -- "$1" && return 0
  diag "$2: no line of stdout matches /$1/" "$OUT"
  return 1
}

expect_no_stdout() {
  [ -z "$OUT" ] && return 0
  diag "unexpected stdout:" "$OUT"
  return 1
}

# --- JSON ------------------------------------------------------------------

# json_check PYEXPR: the whole stdout is one JSON document d, and PYEXPR
# (python, with d bound) is true.
json_check() {
  printf '%s' "$OUT" | "$PY" -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError as e:
    print("# stdout is not one JSON document: %s" % e)
    sys.exit(1)
ok = eval(sys.argv[1])
if not ok:
    print("# JSON check failed: " + sys.argv[1])
    for line in json.dumps(d, indent=1).splitlines():
        print("#   " + line)
sys.exit(0 if ok else 1)
' "$1"
}

# json_get PYEXPR: prints the value (null for None, JSON for containers).
json_get() {
  printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
if v is None: print("null")
elif isinstance(v, (dict, list)): print(json.dumps(v, sort_keys=True))
else: print(v)
' "$1" 2>/dev/null
}

# The keys every `{"error": ...}` document must have.
expect_json_error() {
  json_check 'isinstance(d.get("error"), dict) and isinstance(d["error"].get("code"), str) and isinstance(d["error"].get("message"), str) and d["error"]["message"] != ""'
}

# --- labels on files -------------------------------------------------------

# label FILE: the test driver's label, or <none>.
label() {
  if [ $have_getfattr = 1 ]; then
    getfattr --only-values --absolute-names -n "$XATTR" -- "$1" 2>/dev/null || echo "<none>"
  else
    "$PY" -c 'import os,sys
try: sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())
except OSError: print("<none>")' "$1" "$XATTR"
  fi
}

set_label() {
  if [ $have_getfattr = 1 ]; then
    setfattr -n "$XATTR" -v "$2" -- "$1"
  else
    "$PY" -c "$_py_setxattr" "$1" "$XATTR" "$2"
  fi
}

expect_label() {  # FILE WANT
  local got
  got=$(label "$1")
  expect_eq "$got" "$2" "label of ${1#"$WORK"/}"
}

# snapshot FILE...: "file=label" for each, to compare before/after.
snapshot() {
  local f
  for f in "$@"; do printf '%s=%s\n' "$f" "$(label "$f")"; done
}

expect_same_snapshot() {  # BEFORE AFTER
  [ "$1" = "$2" ] && return 0
  diag "labels changed:" "$(diff <(printf '%s\n' "$1") <(printf '%s\n' "$2"))"
  return 1
}

# mkimg NAME [LABEL]: a fresh file under $IMG (any old label removed).
mkimg() {
  rm -f "$IMG/$1"
  echo "$1" >"$IMG/$1"
  [ $# -ge 2 ] && set_label "$IMG/$1" "$2"
  return 0
}

# --- labels, as the contract spells them ------------------------------------

IMAGE_CTX=system_u:object_r:svirt_image_t:s0
CONTENT_CTX=system_u:object_r:virt_content_t:s0
DYN_RE='^system_u:system_r:svirt_t:s0:c([0-9]+),c([0-9]+)$'

# expect_pair LABEL [MAXCAT]: ends in :cA,cB with A < B <= MAXCAT (1023).
expect_pair() {
  local max=${2:-1023}
  if ! [[ "$1" =~ :c([0-9]+),c([0-9]+)$ ]]; then
    diag "label '$1' does not end in a category pair cA,cB"
    return 1
  fi
  local a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
  if [ "$a" -ge "$b" ] || [ "$b" -gt "$max" ]; then
    diag "label '$1': need A < B <= $max"
    return 1
  fi
}

# pair_of LABEL: "cA,cB".
pair_of() { [[ "$1" =~ :(c[0-9]+,c[0-9]+)$ ]] && echo "${BASH_REMATCH[1]}"; }

# --- misc ------------------------------------------------------------------

write() { cat >"$1"; }

# wait_for FILE [TENTHS]: until FILE is non-empty (default 10 s).
wait_for() {
  local i n=${2:-100}
  for ((i = 0; i < n; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  diag "timed out waiting for $1"
  return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

selinux_enabled() { [ -e /sys/fs/selinux/enforce ]; }
