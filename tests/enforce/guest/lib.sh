# Helpers shared by the guest's scripts (sourced). Fd 3 is the report channel, the second serial
# port; the host parses the sections written by report().
uptime_s() { cut -d' ' -f1 /proc/uptime; }
note() { echo "enforce-guest: [$(uptime_s)] $*"; }
# report NAME < lines: one section of the report.
report() {
  echo "@@begin $1" >&3
  cat >&3
  echo "@@end $1" >&3
}
# finish STATUS: last words, then power off (PID 1 must never exit).
finish() {
  note "done: $1"
  echo "@@status $1" >&3
  sync
  exec /usr/bin/busybox poweroff -f
}
