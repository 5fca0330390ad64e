#!/usr/bin/busybox sh
# Stage 3, still PID 1, now in init_t:s0-s0:c0.c1023 (unconfined, like a real host's init). This
# file is labelled init_exec_t. It runs the experiment and reports every observation; the host
# (check-report.sh) decides what passes.
#
# svirt (virtd_exec_t) started from here enters virtd_t, which may use init_t's descriptors and
# pipes; descriptors opened by the kernel's domain would reach it as the null device, so all of
# them are reopened here.
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root
exec 3>/dev/ttyS1 >/dev/console 2>&1 </dev/null
. /usr/libexec/svirt-enforce/lib.sh
dmesg -c >/dev/null  # the AVC records from here on belong to the experiment

S=system_u:system_r
O=system_u:object_r
img=/var/lib/libvirt/images
state=/var/lib/libvirt/svirt
logs=/var/log/libvirt
xml=/etc/svirt-enforce
probe=/usr/libexec/svirt-probe
standin=/usr/libexec/svirt-enforce/virtd-standin
ls_z() { /usr/bin/ls -Z "$@"; }
chcon() { /usr/bin/chcon "$@"; }
sv() { /usr/bin/svirt --driver=selinux --state-dir=$state "$@"; }

# Read by the shell itself: programs it runs from bin_t files enter initrc_t (Debian's policy).
read -r ctx </proc/self/attr/current
echo "orchestrator $ctx" | tr -d '\0' | report orchestrator

# Files no VM may reach: a user's file in root's home and a temporary file.
echo "root's secret" >/root/secret.txt
echo "a temporary secret" >/tmp/secret.txt
chcon unconfined_u:object_r:user_home_t:s0 /root/secret.txt
chcon $O:tmp_t:s0 /tmp/secret.txt

# Preflight, without svirt: a virtd_exec_t stand-in sets the exec context and execs the probe,
# proving init_t -> virtd_t -> svirt_t and the labels the matrix relies on.
preflight() {
  printf own >$img/chain-own.img
  printf other >$img/chain-other.img
  : >$img/chain.log
  chcon $O:svirt_image_t:s0:c1,c2 $img/chain-own.img $img/chain.log
  chcon $O:svirt_image_t:s0:c3,c4 $img/chain-other.img
  $standin exec-as $S:svirt_t:s0:c1,c2 $probe check --log $img/chain.log \
    $img/chain-own.img $img/chain-other.img /root/secret.txt /tmp/secret.txt 2>>$logs/chain.err
  echo "exit $?" | report preflight-exit
  report preflight-launcher <$logs/chain.err
  report preflight-probe <$img/chain.log
  rm -f $img/chain-own.img $img/chain-other.img $img/chain.log
}

# domain_xml NAME SECLABEL DISKS: a domain whose serial port is a file, the probe's log.
domain_xml() {
  cat <<XML
<domain type='kvm'>
  <name>$1</name>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
$3
    <serial type='file'>
      <source path='$img/$1.log'/>
      <target port='0'/>
    </serial>
  </devices>
  $2
</domain>
XML
}
disk_xml() {  # disk_xml FILE DEV [EXTRA]
  printf "    <disk type='file' device='disk'>\n      <source file='%s'/>\n" "$img/$1"
  printf "      <target dev='%s' bus='virtio'/>%s\n    </disk>\n" "$2" "${3:-}"
}

setup_matrix() {
  mkdir -p $xml
  for f in vm1 vm2 vm3 vm4 vm5 shared iso static c100c201; do
    # 1 KiB each; the probe writes at offset 512, the barrier token sits at 0.
    dd if=/dev/zero of=$img/$f.img bs=1024 count=1 2>/dev/null
    printf "%s" "$f" | dd of=$img/$f.img conv=notrunc 2>/dev/null
  done
  for n in 1 2 3 4 5; do : >$img/vm$n.log; done
  : >$img/static.log
  chcon $O:virt_image_t:s0 $img/*.img $img/*.log
  chcon $O:svirt_image_t:s0:c100,c200 $img/static.img $img/static.log
  chcon $O:svirt_image_t:s0:c100,c201 $img/c100c201.img

  local dyn="<seclabel type='dynamic' model='selinux' relabel='yes'/>"
  for n in 1 2 3 4 5; do
    domain_xml vm$n "$dyn" "$(disk_xml vm$n.img vda
      disk_xml shared.img vdb '<shareable/>'
      disk_xml iso.img vdc '<readonly/>')" >$xml/vm$n.xml
  done
  domain_xml static "<seclabel type='static' model='selinux' relabel='no'>
    <label>$S:svirt_t:s0:c100,c200</label>
  </seclabel>" "$(disk_xml static.img vda)" >$xml/static.xml
}

targets="$img/vm1.img $img/vm2.img $img/vm3.img $img/vm4.img $img/shared.img $img/iso.img"
targets="$targets $img/vm5.img $img/static.img $img/c100c201.img /root/secret.txt"
targets="$targets /tmp/secret.txt"

# start_vm NAME: svirt run in the background; the probe waits for GO in the VM's own disk.
# svirt's output files are opened for append: virtd_t may append to virt_log_t files (in
# /var/log/libvirt), not truncate them.
start_vm() {  # start_vm NAME [TARGET...]: the matrix's targets by default
  local name=$1
  shift
  [ $# -gt 0 ] || set -- $targets
  sv run $xml/$name.xml -- $probe check --log $img/$name.log --barrier $img/$name.img \
    --barrier-timeout 90 "$@" >>$logs/$name.out 2>>$logs/$name.err &
  echo $! >/run/svirt-run.$name
}

# wait_running NAMES: until svirt list shows each of them running with its pid and each probe
# has logged its context, so every VM is labelled and confined before any of them probes.
wait_running() {
  local deadline missing name listing
  deadline=$(($(cut -d. -f1 /proc/uptime) + 60))
  while :; do
    missing=
    # Through a pipe: virtd_t may write init_t's pipes, not files init_t opened in /run.
    listing=$(sv list 2>>$logs/list.err)
    echo "$listing" >/run/list.txt
    for name in "$@"; do
      awk -v n=$name '$1 == n && $2 > 0 && $3 == "running" { f = 1 } END { exit !f }' \
        /run/list.txt && grep -q '^context ' $img/$name.log ||
        missing="$missing $name"
    done
    [ -z "$missing" ] && return 0
    if [ "$(cut -d. -f1 /proc/uptime)" -ge $deadline ]; then
      note "not running after 60s:$missing"
      return 1
    fi
    sleep 0.2
  done
}

# wait_logs LINE NAMES: until each VM's log has LINE (at most 60 s).
wait_logs() {
  local line=$1 deadline name missing
  shift
  deadline=$(($(cut -d. -f1 /proc/uptime) + 60))
  while :; do
    missing=
    for name in "$@"; do grep -q "^$line\$" $img/$name.log || missing="$missing $name"; done
    [ -z "$missing" ] && return 0
    if [ "$(cut -d. -f1 /proc/uptime)" -ge $deadline ]; then
      note "no '$line' after 60s from:$missing"
      return 1
    fi
    sleep 0.1
  done
}

run_matrix() {
  setup_matrix
  ls_z $img /root/secret.txt /tmp/secret.txt | report labels-before
  sv model 2>&1 | report model

  # The stopped VM: run to completion first, so its disk is back to virt_image_t.
  sv run $xml/vm5.xml -- $probe check --log $img/vm5.log $img/vm5.img \
    >>$logs/vm5.out 2>>$logs/vm5.err
  echo "exit $?" | report exit-vm5
  note "vm5 ran and stopped"

  for vm in vm1 vm2 vm3 vm4 static; do start_vm $vm; done
  if wait_running vm1 vm2 vm3 vm4 static; then
    echo "all running" | report barrier
  else
    echo "timeout" | report barrier
  fi
  note "VMs at the barrier"
  report list </run/list.txt
  for vm in vm1 vm2 vm3 vm4 static; do
    echo "@vm $vm"
    sv dominfo $vm 2>&1
    pid=$(awk -v n=$vm '$1 == n { print $2 }' /run/list.txt)
    echo "@process ${pid:-none} $(cat /proc/${pid:-none}/attr/current 2>/dev/null | tr -d '\0')"
  done | report dominfo
  ls_z $img | report labels-running
  # Negative control: the same probe, unconfined, no svirt.
  : >$logs/control.log
  $probe check --log $logs/control.log $targets
  report control <$logs/control.log

  for vm in vm1 vm2 vm3 vm4 static; do printf GO 1<>$img/$vm.img; done
  # The probes hold until everyone has probed, so no VM sees another's disk already restored.
  wait_logs 'done' vm1 vm2 vm3 vm4 static
  for vm in vm1 vm2 vm3 vm4 static; do printf EXIT 1<>$img/$vm.img; done
  for vm in vm1 vm2 vm3 vm4 static; do
    wait "$(cat /run/svirt-run.$vm)"
    echo "exit $?" | report exit-$vm
  done
  note "all VMs stopped"
  sv list 2>&1 | report list-after
  ls_z $img /root/secret.txt /tmp/secret.txt | report labels-after
  for vm in vm1 vm2 vm3 vm4 vm5 static; do
    report log-$vm <$img/$vm.log
    report svirt-err-$vm <$logs/$vm.err
  done
}

# Save files: a running VM may write the save file svirt labelled for it (save-label), and the
# file goes back to a label no VM may use (restore-save-label); a VM it was not labelled for is
# denied. The save file starts as virt_image_t, which svirt_t may not read or write.
run_savefile() {
  local save=$img/saver.save
  for f in saver other; do
    dd if=/dev/zero of=$img/$f.img bs=1024 count=1 2>/dev/null
    : >$img/$f.log
  done
  printf 'saved state' >$save
  chcon $O:virt_image_t:s0 $img/saver.img $img/other.img $img/saver.log $img/other.log $save
  local dyn="<seclabel type='dynamic' model='selinux' relabel='yes'/>"
  domain_xml saver "$dyn" "$(disk_xml saver.img vda)" >$xml/saver.xml
  domain_xml other "$dyn" "$(disk_xml other.img vda)" >$xml/other.xml
  ls_z $save | report save-label-before
  start_vm saver $save
  if wait_running saver; then
    sv save-label saver $save 2>&1 | report save-label-out
    ls_z $save | report save-label-set
    printf GO 1<>$img/saver.img
    wait_logs done saver
    sv restore-save-label saver $save 2>&1 | report save-label-restore-out
    ls_z $save | report save-label-restored
  fi
  printf EXIT 1<>$img/saver.img
  wait "$(cat /run/svirt-run.saver)"
  echo "exit $?" | report exit-saver
  report log-saver <$img/saver.log
  # The same file, labelled for saver earlier, now probed by another VM: denied.
  sv run $xml/other.xml -- $probe check --log $img/other.log $save >>$logs/other.out 2>>$logs/other.err
  echo "exit $?" | report exit-other
  report log-other <$img/other.log
  note "save-file case finished"
}

# The example management stack with real QEMU: three guests boot from disks the stack creates,
# one of them (layered) from a qcow2 overlay whose XML does not name the template below it.
# db's disks sit in a directory no VM may search (the full category set on a directory means
# only a process holding every category dominates it), so db can only run with its disks passed
# as descriptors; the control run starts db again without them.
run_dom0() {
  local dom0=/usr/libexec/svirt-enforce/mini-dom0 doms=/etc/svirt-dom0 ctl=/etc/svirt-dom0-control
  mkdir -p $doms $ctl $img/private
  cp /usr/share/svirt-enforce/dom0/*.xml $doms/
  cp $doms/db.xml $ctl/
  chcon $O:virt_image_t:s0:c0.c1023 $img/private
  # The shared read-only disk exists before; the stack creates the rest.
  printf tools >$img/dom0-tools.img
  chcon $O:virt_image_t:s0 $img/dom0-tools.img
  ls_z -d $img/private $img/dom0-tools.img | report dom0-labels-before
  $dom0 --state-dir $state --timeout 600 --pass-fds db $doms >>$logs/dom0.out 2>>$logs/dom0.err
  echo "exit $?" | report dom0-exit
  report dom0 <$logs/dom0.out
  report dom0-err <$logs/dom0.err
  ls_z -d $img/private $img/dom0-tools.img $img/dom0-web.img $img/private/dom0-db.img \
    /var/lib/libvirt/qemu/dom0-web.log /var/lib/libvirt/qemu/dom0-db.log \
    $img/dom0-layered.qcow2 $img/dom0-layered-base.img /var/lib/libvirt/qemu/dom0-layered.log |
    report dom0-labels-after
  note "mini dom0 finished"
  rm -f $img/private/dom0-db.img
  $dom0 --state-dir $state --timeout 600 $ctl >>$logs/dom0-control.out 2>>$logs/dom0-control.err
  echo "exit $?" | report dom0-control-exit
  report dom0-control <$logs/dom0-control.out
  report dom0-control-err <$logs/dom0-control.err
  sv list 2>&1 | report dom0-list-after
  note "mini dom0 control finished"
}

# An emulated domain: Debian's policy names no TCG domain type, so svirt warns (as libvirt
# does) that QEMU's translator may lack execmem.
run_tcg() {
  cat >$xml/tcg.xml <<XML
<domain type='qemu'><name>tcg</name><memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os><devices/></domain>
XML
  sv prepare $xml/tcg.xml 2>&1 >/dev/null | report tcg-err
  sv list 2>&1 | grep -q '^tcg ' && echo "exit 0" | report tcg-exit
  { cat /sys/fs/selinux/booleans/virt_use_execmem 2>/dev/null || echo "no such boolean"; } | report tcg-boolean
  sv release tcg >/dev/null 2>&1
}

# A VM svirt did not start (another manager's, as libvirt's would be): a probe in
# svirt_t:s0:c3,c4, put in machine.slice as systemd-machined puts libvirt's VMs. With a pool of
# eight categories (28 pairs), svirt hands out the other 27 pairs and then reports the pool
# exhausted, and refuses a static label on the foreign VM's pair.
run_foreign() {
  local cg=/sys/fs/cgroup/machine.slice/machine-qemu-foreign.scope n out
  mkdir -p $cg || { note "cannot create $cg"; return; }
  dd if=/dev/zero of=$img/foreign.img bs=1024 count=1 2>/dev/null
  : >$img/foreign.log
  chcon $O:svirt_image_t:s0:c3,c4 $img/foreign.img $img/foreign.log
  $standin exec-as $S:svirt_t:s0:c3,c4 $probe check --log $img/foreign.log --barrier $img/foreign.img \
    --barrier-timeout 120 $img/foreign.img >>$logs/foreign.out 2>>$logs/foreign.err &
  local pid=$!
  echo $pid >$cg/cgroup.procs
  n=0
  until grep -q '^context ' $img/foreign.log || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
  { echo "pid $pid $(tr -d '\0' </proc/$pid/attr/current)"; cat $cg/cgroup.procs; } | report foreign-process
  printf '[selinux]\nprocess_context = %s\n' "$S:virtd_t:s0-s0:c0.c7" >$xml/pool8.conf
  for n in $(seq 1 28); do
    printf "<domain type='kvm'><name>pool%s</name><memory unit='KiB'>65536</memory><devices/></domain>\n" \
      $n >$xml/pool$n.xml
    out=$(sv --config=$xml/pool8.conf prepare $xml/pool$n.xml 2>&1)
    echo "pool$n exit $? $(echo "$out" | sed -n 's:.*<label>\(.*\)</label>.*:\1:p' | head -n 1)"
    echo "$out" | grep -v '^ *<' | sed "s/^/pool$n said /"
  done | report foreign-pool
  cat >$xml/foreign-static.xml <<XML
<domain type='kvm'><name>onforeign</name><memory unit='KiB'>65536</memory><devices/>
  <seclabel type='static' model='selinux' relabel='no'><label>$S:svirt_t:s0:c3,c4</label></seclabel>
</domain>
XML
  out=$(sv prepare $xml/foreign-static.xml 2>&1 >/dev/null)
  echo "exit $? $out" | report foreign-static
  for n in $(seq 1 28); do sv release pool$n >/dev/null 2>&1; done
  sv list 2>&1 | report foreign-list-after
  printf GO 1<>$img/foreign.img
  wait_logs done foreign
  printf EXIT 1<>$img/foreign.img
  wait $pid
  echo "exit $?" | report foreign-exit
}

preflight
if [ -x /usr/bin/svirt ] && [ ! -e /etc/svirt-enforce-preflight ]; then
  run_matrix
  run_savefile
  run_tcg
  run_foreign
  [ -x /usr/libexec/svirt-enforce/mini-dom0 ] && run_dom0
fi
dmesg | grep 'avc:' | report avc
# Linux audit records svirt sent (VIRT_RESOURCE 2501, VIRT_MACHINE_ID 2502): without auditd the
# kernel prints them.
dmesg | grep -E 'type=250[12] ' | report virt-audit
finish "orchestrator finished"
