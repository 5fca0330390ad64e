#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-guest-root.sh ROOT SRC_DIR PROBE [SVIRT LIBSVIRT [MINI_DOM0 DOMAIN_DIR]]
#
# Assembles the enforcement guest's root filesystem in ROOT (which must not exist): busybox as
# the shell, the host's SELinux tools and policy, the probe and, when given, the svirt command
# with its library, and the example management stack with Debian's qemu-system-x86_64 and
# qemu-img (for its thin clone) and the example's domain XMLs. Dynamically linked programs get
# every library ldd reports, at the same path as on the host, so file_contexts labels them
# (lib_t, ld_so_t, bin_t) like on a real system.
set -euo pipefail

root=$1 src=$2 probe=$3 svirt=${4:-} libsvirt=${5:-} dom0=${6:-} dom0_xml=${7:-}
[ ! -e "$root" ] || { echo "build-guest-root: $root already exists" >&2; exit 1; }

mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/libexec/svirt-enforce,etc/selinux} \
  "$root"/{proc,sys,dev,run,tmp,root,newroot} \
  "$root"/var/lib/libvirt/{images,svirt,qemu} "$root"/var/log/libvirt
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
# Debian 12 has a merged /usr: ldd names /lib/... paths that must resolve the same way.
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done

# copy_file HOST_PATH [GUEST_PATH]: copies keeping the path, dereferencing the last symlink but
# recreating it, so both the soname and its target exist.
copy_file() {
  local from=$1 to=${2:-$1}
  local real
  real=$(readlink -f "$from")
  mkdir -p "$root$(dirname "$to")"
  cp "$real" "$root$to"
}

copy_program() {
  local prog=$1 dest=${2:-$1}
  copy_file "$prog" "$dest"
  # ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the loader.
  # libsvirt comes from the build tree and is installed separately below.
  ldd "$prog" | awk '/=>/ && $3 ~ /^\// {print $3} !/=>/ && $1 ~ /^\// {print $1}' |
    grep -v '/libsvirt\.so' | while read -r lib; do
      # Keep one copy per library, under the canonical /usr path.
      local canon=${lib/#\/lib\//\/usr\/lib\/}
      canon=${canon/#\/lib64\//\/usr\/lib64\/}
      [ -e "$root$canon" ] || copy_file "$lib" "$canon"
    done
}

cp /bin/busybox "$root/usr/bin/busybox"
for p in /usr/sbin/load_policy /usr/sbin/setfiles /usr/sbin/restorecon /usr/sbin/setenforce /usr/sbin/getenforce \
         /usr/bin/chcon /usr/bin/ls /usr/bin/runcon /usr/bin/id; do
  copy_program "$p"
done

cp -a /etc/selinux/default "$root/etc/selinux/default"
printf 'SELINUX=enforcing\nSELINUXTYPE=default\n' > "$root/etc/selinux/config"
# Labels for what this harness adds; setfiles reads the .local file after the policy's own.
cat >> "$root/etc/selinux/default/contexts/files/file_contexts.local" <<'EOF'
/usr/bin/svirt	--	system_u:object_r:virtd_exec_t:s0
/usr/libexec/svirt-probe	--	system_u:object_r:qemu_exec_t:s0
/usr/libexec/svirt-enforce/virtd-standin	--	system_u:object_r:virtd_exec_t:s0
/usr/libexec/svirt-enforce/orchestrate\.sh	--	system_u:object_r:init_exec_t:s0
/usr/libexec/svirt-enforce/mini-dom0	--	system_u:object_r:virtd_exec_t:s0
EOF
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

install -m 0755 "$probe" "$root/usr/libexec/svirt-probe"
install -m 0755 "$probe" "$root/usr/libexec/svirt-enforce/virtd-standin"
for s in boot.sh lib.sh orchestrate.sh; do
  install -m 0755 "$src/guest/$s" "$root/usr/libexec/svirt-enforce/$s"
done
install -m 0755 "$src/guest/init" "$root/init"

if [ -n "$svirt" ]; then
  copy_program "$svirt" /usr/bin/svirt
  libdir=/usr/lib/x86_64-linux-gnu
  cp "$(readlink -f "$libsvirt")" "$root$libdir/libsvirt.so.1"
  # Debug sections only, as a package build would: the code that runs is the build's own, and
  # every megabyte of initramfs costs time to unpack and copy under emulation.
  if command -v strip >/dev/null; then
    strip --strip-debug "$root/usr/bin/svirt" "$root$libdir/libsvirt.so.1"
  fi
  # libsvirt's own dependencies (ldd of svirt found it in the build tree, not these).
  ldd "$libsvirt" | awk '/=>/ && $3 ~ /^\// {print $3}' | while read -r lib; do
    canon=${lib/#\/lib\//\/usr\/lib\/}
    [ -e "$root$canon" ] || copy_file "$lib" "$canon"
  done
fi

if [ -n "$dom0" ]; then
  # The example stack runs as virtd_t like svirt; qemu keeps Debian's path, so the policy's own
  # file_contexts make it qemu_exec_t, the entrypoint of svirt_t.
  copy_program "$dom0" /usr/libexec/svirt-enforce/mini-dom0
  copy_program /usr/bin/qemu-system-x86_64
  # The stack creates its thin clone (a qcow2 overlay over a raw template) with qemu-img.
  copy_program /usr/bin/qemu-img
  # Debian builds TCG as a loadable module; the BIOS comes from the seabios package.
  for m in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so; do copy_program "$m"; done
  copy_file /usr/share/seabios/bios-256k.bin
  copy_file /usr/share/qemu/kvmvapic.bin  # an option ROM qemu loads even under TCG
  mkdir -p "$root/usr/share/svirt-enforce/dom0"
  cp "$dom0_xml"/*.xml "$root/usr/share/svirt-enforce/dom0/"
  if command -v strip >/dev/null; then
    strip --strip-debug "$root/usr/libexec/svirt-enforce/mini-dom0"
  fi
fi
