#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-enforce.sh [--demo] [--preflight] BUILD_ROOT
#
# The proof that svirt's SELinux driver separates VMs on a real kernel. Boots Debian's stock
# kernel with SELinux enforcing and Debian's compiled reference policy under qemu, and runs the
# svirt command built in BUILD_ROOT inside it against a static "compromised VM" probe (see
# guest/matrix.sh for the experiment, check-report.sh for what must hold).
#
#   --demo        print the access matrix, the AVC denials and the guest's console verbosely
#   --preflight   only prove the domain transition chain with a stand-in (no svirt needed)
#
# Environment: SVIRT_ENFORCE_CACHE (kernel cache, default /var/cache/svirt-enforce),
# SVIRT_ENFORCE_KVER (e.g. 6.1.0-56-amd64), ACCEL (tcg, default, or kvm), SVIRT_ENFORCE_TIMEOUT
# (seconds before qemu is killed, default 300).
# Exit: 0 every assertion holds, 1 one failed (named on stdout), 77 a prerequisite is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
demo=0 preflight=0 build=
for arg in "$@"; do
  case $arg in
    --demo) demo=1 ;;
    --preflight) preflight=1 ;;
    -*) echo "usage: run-enforce.sh [--demo] [--preflight] BUILD_ROOT" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done
[ -n "$build" ] || { echo "usage: run-enforce.sh [--demo] [--preflight] BUILD_ROOT" >&2; exit 2; }
build=$(cd "$build" && pwd)

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "enforce: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# --- prerequisites: everything comes from Debian packages -------------------------------------
command -v dpkg-query >/dev/null || skip "not a Debian system (no dpkg-query)"
missing=()
for p in qemu-system-x86 busybox-static cpio policycoreutils selinux-utils \
         selinux-policy-default; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
((${#missing[@]} == 0)) ||
  skip "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
[ -f /etc/selinux/default/policy/policy.33 ] ||
  skip "no compiled policy /etc/selinux/default/policy/policy.33 (selinux-policy-default)"

probe=$build/tests/enforce/svirt-probe
svirt=$build/tools/svirt
libsvirt=$build/libsvirt.so.1
dom0=$build/examples/mini-dom0/mini-dom0
[ -x "$probe" ] || fail "probe not built: $probe"
if ((preflight)); then
  svirt='' libsvirt='' dom0=''
else
  [ -x "$dom0" ] || fail "example stack not built: $dom0"
  [ -x "$svirt" ] || fail "svirt command not built: $svirt"
  [ -e "$libsvirt" ] || fail "library not built: $libsvirt"
fi

# --- kernel: Debian's generic 6.1 image, unpacked into a cache; /boot is never touched ---------
cache=${SVIRT_ENFORCE_CACHE:-/var/cache/svirt-enforce}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
  skip "kernel cache $cache is not writable (set SVIRT_ENFORCE_CACHE)"
fi
# The ABI the metapackage points at, e.g. 6.1.0-56-amd64.
candidate_kver() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/.*Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1
}
is_root() { [ "$(id -u)" = 0 ]; }
kver=${SVIRT_ENFORCE_KVER:-$(candidate_kver)}
if [ -z "$kver" ] && is_root &&
  ! ls -d "$cache"/linux-image-6.1.0-*-amd64 >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true  # a fresh container has no package lists
  kver=$(candidate_kver)
fi
if [ -z "$kver" ]; then  # offline: whatever is already cached
  kver=$(cd "$cache" && ls -d linux-image-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1)
  kver=${kver#linux-image-}
fi
[ -n "$kver" ] || skip "cannot tell which linux-image-6.1.0-*-amd64 to use (apt-cache has none)"
kdir=$cache/linux-image-$kver
vmlinuz=$kdir/boot/vmlinuz-$kver
vmlinux=$kdir/vmlinux-$kver
# extract_vmlinux BZIMAGE OUT: the uncompressed kernel inside Debian's (xz) image. qemu boots it
# through its PVH entry, which skips the decompression that costs seconds under emulation.
extract_vmlinux() {
  local off
  off=$(perl -0777 -ne 'print index($_, "\xfd7zXZ\x00")' "$1") && [ "$off" -ge 0 ] &&
    tail -c +$((off + 1)) "$1" >"$2.xz" &&
    xz -dc --single-stream "$2.xz" >"$2.tmp" 2>/dev/null && rm -f "$2.xz" &&
    [ "$(head -c 4 "$2.tmp" | tail -c 3)" = ELF ] && mv "$2.tmp" "$2"
}
(
  flock 9  # concurrent runs share the cache
  if [ ! -f "$vmlinuz" ]; then
    say "fetching linux-image-$kver into $cache"
    tmp=$(mktemp -d "$cache/unpack.XXXXXX")
    download() { (cd "$tmp" && apt-get download -q "linux-image-$kver" >/dev/null 2>&1); }
    download || { is_root && apt-get update -qq >/dev/null 2>&1 && download; } ||
      { rm -rf "$tmp"; exit 3; }
    dpkg -x "$tmp"/linux-image-"$kver"_*.deb "$tmp/x"
    # Only the image is needed: the guest uses no modules.
    mkdir -p "$kdir.new/boot"
    mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/x/boot/config-$kver" "$kdir.new/boot/"
    rm -rf "$tmp" "$kdir"
    mv "$kdir.new" "$kdir"
    # Older ABIs fetched before are superseded.
    for old in "$cache"/linux-image-6.1.0-*-amd64; do
      [ "$old" = "$kdir" ] || rm -rf "$old"
    done
  fi
  if [ ! -f "$vmlinux" ] && [ ! -f "$vmlinux.none" ]; then
    extract_vmlinux "$vmlinuz" "$vmlinux" ||
      { rm -f "$vmlinux.tmp" "$vmlinux.xz"; touch "$vmlinux.none"; }
  fi
) 9>"$cache/.lock" || skip "apt-get download linux-image-$kver failed (offline?)"
grep -q '^CONFIG_SECURITY_SELINUX=y' "$kdir/boot/config-$kver" ||
  fail "kernel $kver has no built-in SELinux"

# --- guest root and initramfs -----------------------------------------------------------------
work=$build/tests/enforce/work
rm -rf "$work"
mkdir -p "$work"
t_root=$(now)
"$here/build-guest-root.sh" "$work/root" "$here" "$probe" "$svirt" "$libsvirt" "$dom0" \
  "$here/../../examples/mini-dom0/domains"
((preflight)) && touch "$work/root/etc/svirt-enforce-preflight"
(cd "$work/root" && find . -print0 | cpio -o -0 -H newc -R 0:0 --quiet) >"$work/initramfs.cpio"
say "guest root: $(du -sh "$work/root" | cut -f1), initramfs $(du -h "$work/initramfs.cpio" |
  cut -f1) in $(since "$t_root")s"

# --- boot -------------------------------------------------------------------------------------
accel=${ACCEL:-tcg}
case $accel in
  tcg) cpu=(-accel tcg -cpu max) ;;
  # Only on a host with real VT-x/AMD-V: some software KVM backends hang a stock kernel.
  kvm) cpu=(-accel kvm -cpu host) ;;
  *) fail "ACCEL must be tcg or kvm, not $accel" ;;
esac
timeout_s=${SVIRT_ENFORCE_TIMEOUT:-300}
# AppArmor is the kernel's default exclusive LSM; this list (CONFIG_LSM without it) picks SELinux.
append="console=ttyS0 lsm=landlock,lockdown,yama,integrity,selinux,bpf enforcing=1 audit=1"
# Without auditd, AVC records queue for printk: room enough that none is dropped in a burst.
append+=" audit_backlog_limit=8192 log_buf_len=1M panic=-1 loglevel=4 rdinit=/init"
kernel=$vmlinuz
[ -f "$vmlinux" ] && kernel=$vmlinux
say "booting $kver ($accel, 512 MiB, 2 CPUs, killed after ${timeout_s}s) from $kernel"
t_boot=$(now)
qemu_rc=0
timeout -k 5 "$timeout_s" qemu-system-x86_64 "${cpu[@]}" -m 512 -smp 2 \
  -nodefaults -no-user-config -display none -no-reboot \
  -kernel "$kernel" -initrd "$work/initramfs.cpio" -append "$append" \
  -serial "file:$work/console.log" -serial "file:$work/report.txt" </dev/null ||
  qemu_rc=$?
boot_s=$(since "$t_boot")
rm -rf "$work/root" "$work/initramfs.cpio"  # rebuilt every run; the reports stay
say "guest finished in ${boot_s}s (qemu exit $qemu_rc)"
tr -d '\r' <"$work/console.log" >"$work/console.txt"
if ((demo)); then
  echo "----- guest console -----"
  cat "$work/console.txt"
  echo "-------------------------"
fi
if ((qemu_rc == 124 || qemu_rc == 137)); then
  tail -n 30 "$work/console.txt"
  fail "guest did not power off within ${timeout_s}s"
fi
grep -q '^@@status' "$work/report.txt" 2>/dev/null || {
  tail -n 30 "$work/console.txt"
  fail "guest wrote no report (qemu exit $qemu_rc)"
}

check_args=()
((demo)) && check_args+=(--demo)
((preflight)) && check_args+=(--preflight)
# A build with libaudit sends VIRT_* records: the guest's kernel log must show them.
grep -q 'SVIRT_HAVE_LIBAUDIT 1' "$build/svirt_build_config.h" 2>/dev/null &&
  check_args+=(--audit-records)
rc=0
"$here/check-report.sh" "${check_args[@]}" "$work/report.txt" || rc=$?
say "total ${boot_s}s in the guest, $(since "$t_start")s overall"
exit "$rc"
