#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-report.sh [--demo] [--preflight] REPORT
#
# Asserts what the enforcement guest reported (sections "@@begin NAME" .. "@@end NAME", written
# by guest/boot.sh and guest/matrix.sh). Prints every failed assertion; exit 0 only if none.
set -uo pipefail

demo=0 preflight=0 report=
for arg in "$@"; do
  case $arg in
    --demo) demo=1 ;;
    --preflight) preflight=1 ;;
    *) report=$arg ;;
  esac
done

# The guest's serial port turns \n into \r\n.
section() {
  tr -d '\r' <"$report" |
    awk -v n="$1" '$0 == "@@end " n { p = 0 } p { print } $0 == "@@begin " n { p = 1 }'
}
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    ((demo)) && echo "  ok   $what"
  else
    echo "  FAIL $what"
    failures=$((failures + 1))
  fi
  return 0
}
has() { section "$1" | grep -qE -- "$2"; }

echo "enforce: guest $(tr -d '\r' <"$report" | sed -n 's/^@@status //p')"
section environment | sed 's/^/  /'

check "SELinux is the active LSM" has environment '^lsm .*selinux'
check "the kernel enforces" has environment '^enforce 1$'
check "the policy is MLS/MCS" has environment '^mls 1$'

# Preflight: the chain kernel_t -> init_t -> virtd_t -> svirt_t works without svirt.
S=system_u:system_r
I=system_u:object_r:svirt_image_t
((demo || preflight)) && { echo "preflight (stand-in for svirt):"; section preflight-launcher |
  sed 's/^/  /'; section preflight-probe | sed 's/^/  /'; }
check "the orchestrator runs in init_t" has orchestrator "^orchestrator $S:init_t:s0-s0:c0.c1023$"
check "preflight: stand-in runs in virtd_t" \
  has preflight-launcher "^exec-as $S:virtd_t:s0-s0:c0.c1023 -> $S:svirt_t:s0:c1,c2 "
check "preflight: probe runs in svirt_t:s0:c1,c2" has preflight-probe "^context $S:svirt_t:s0:c1,c2$"
check "preflight: probe reads its own image" has preflight-probe '^read [^ ]*chain-own.img OK$'
check "preflight: probe writes its own image" has preflight-probe '^write [^ ]*chain-own.img OK$'
check "preflight: other VM's image unreadable" \
  has preflight-probe '^read [^ ]*chain-other.img EACCES$'
check "preflight: other VM's image unwritable" \
  has preflight-probe '^write [^ ]*chain-other.img EACCES$'
check "preflight: user file unreadable" has preflight-probe '^read /root/secret.txt EACCES$'
check "preflight: kernel logged the MCS denial" \
  has avc "scontext=$S:svirt_t:s0:c1,c2 tcontext=$I:s0:c3,c4 "

if ((failures)); then
  echo "enforce: $failures assertion(s) failed"
  exit 1
fi
echo "enforce: all assertions hold"
exit 0
