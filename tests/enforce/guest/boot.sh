#!/usr/bin/busybox sh
# Stage 2, PID 1 on the tmpfs root, in the kernel's initial domain: mounts, loads Debian's policy
# and labels the root from file_contexts, then becomes the orchestrator (orchestrate.sh) in
# init_t, the domain init runs in on a real host.
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root
B=/usr/bin/busybox
$B mkdir -p /bb && $B --install -s /bb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t securityfs securityfs /sys/kernel/security
mount -t selinuxfs selinuxfs /sys/fs/selinux
# Where systemd-machined puts VMs (machine.slice): svirt looks there for VMs it did not start.
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec 3>/dev/ttyS1 </dev/null
. /usr/libexec/svirt-enforce/lib.sh

note "kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm)"
load_policy || finish "load_policy failed"
note "policy loaded: mls=$(cat /sys/fs/selinux/mls) enforce=$(cat /sys/fs/selinux/enforce)"
# Labels from file_contexts (restorecon is setfiles without validating every context of the
# policy, twice as fast under emulation). The pseudo filesystems label themselves; /dev
# (devtmpfs) takes labels like the root does.
restorecon -F -R -e /proc -e /sys / || finish "restorecon failed"
setenforce 1 || finish "setenforce failed"
# Real QEMU under TCG generates code at run time: svirt_t needs execmem, which this boolean grants
# (Debian's policy has no separate svirt_tcg_t). Set here, where the kernel's domain may.
echo 1 >/sys/fs/selinux/booleans/virt_use_execmem &&
  echo 1 >/sys/fs/selinux/commit_pending_bools || finish "cannot set virt_use_execmem"
# Without auditd the AVC records go through printk's rate limit; lift it so none is lost.
sysctl -q -w kernel.printk_ratelimit=0 kernel.printk_ratelimit_burst=100000
note "root labelled, $(getenforce)"
# Busybox's shell prefers its own applets; the SELinux-aware tools are called by full path.
{
  echo "kernel $(uname -r)"
  echo "lsm $(cat /sys/kernel/security/lsm)"
  echo "enforce $(cat /sys/fs/selinux/enforce)"
  echo "mls $(cat /sys/fs/selinux/mls)"
  echo "policyvers $(cat /sys/fs/selinux/policyvers)"
  echo "boot-context $(/usr/bin/id -Z)"
  echo "virt_use_execmem $(cut -d' ' -f1 /sys/fs/selinux/booleans/virt_use_execmem)"
} | report environment
exec 3>&-
# Enter init_t at the full MCS range, as a real host's init does: executing the init_exec_t
# script alone would keep the kernel's s0.
exec /usr/libexec/svirt-probe exec-as system_u:system_r:init_t:s0-s0:c0.c1023 \
  /usr/libexec/svirt-enforce/orchestrate.sh
