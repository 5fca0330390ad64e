#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-report.sh [--demo] [--preflight] [--audit-records] REPORT
#
# Asserts what the enforcement guest reported (sections "@@begin NAME" .. "@@end NAME", written
# by guest/boot.sh and guest/orchestrate.sh), prints the access matrix and the kernel's AVC
# denials. Every failed assertion is named; exit 0 only if none failed.
# No pipefail: grep -q may close a pipe early on purpose.
set -u

demo=0 preflight=0 audit_records=0 report=
for arg in "$@"; do
  case $arg in
    --demo) demo=1 ;;
    --preflight) preflight=1 ;;
    --audit-records) audit_records=1 ;;
    *) report=$arg ;;
  esac
done
[ -r "$report" ] || { echo "check-report: cannot read $report" >&2; exit 1; }

S=system_u:system_r
O=system_u:object_r
IMG=/var/lib/libvirt/images

# The guest's serial port turns \n into \r\n.
clean=$(tr -d '\r' <"$report")
section() {
  awk -v n="$1" '$0 == "@@end " n { p = 0 } p { print } $0 == "@@begin " n { p = 1 }' \
    <<<"$clean"
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
same() { [ "$1" = "$2" ]; }
indent() { sed 's/^/    /'; }

echo "enforce: guest status: $(sed -n 's/^@@status //p' <<<"$clean")"
((demo)) && section environment | indent

echo "environment:"
check "SELinux is the active LSM" has environment '^lsm .*selinux'
check "the kernel enforces" has environment '^enforce 1$'
check "the policy is MLS/MCS" has environment '^mls 1$'
check "the orchestrator runs in init_t, unconfined" \
  has orchestrator "^orchestrator $S:init_t:s0-s0:c0.c1023$"

# Preflight: the chain init_t -> virtd_t -> svirt_t works without svirt.
echo "preflight (a stand-in for svirt sets the exec context):"
((demo)) && { section preflight-launcher | indent; section preflight-probe | indent; }
check "stand-in runs in virtd_t" \
  has preflight-launcher "^exec-as $S:virtd_t:s0-s0:c0.c1023 -> $S:svirt_t:s0:c1,c2 "
check "probe runs in svirt_t:s0:c1,c2" has preflight-probe "^context $S:svirt_t:s0:c1,c2$"
check "probe reads and writes its own image" \
  eval "has preflight-probe '^read [^ ]*chain-own.img OK$' &&
        has preflight-probe '^write [^ ]*chain-own.img OK$'"
check "probe cannot read or write another VM's image" \
  eval "has preflight-probe '^read [^ ]*chain-other.img EACCES$' &&
        has preflight-probe '^write [^ ]*chain-other.img EACCES$'"
check "the kernel logged the MCS denial" \
  has avc "scontext=$S:svirt_t:s0:c1,c2 tcontext=$O:svirt_image_t:s0:c3,c4 "

if ((preflight)); then
  ((failures)) && { echo "enforce: $failures assertion(s) failed"; exit 1; }
  echo "enforce: all assertions hold"
  exit 0
fi

# --- the matrix with svirt -------------------------------------------------------------------
vms=(vm1 vm2 vm3 vm4)
rows=(vm1 vm2 vm3 vm4 static control)
cols=(vm1 vm2 vm3 vm4 shared iso stopped static c100c201 home tmp)
declare -A path=(
  [vm1]=$IMG/vm1.img [vm2]=$IMG/vm2.img [vm3]=$IMG/vm3.img [vm4]=$IMG/vm4.img
  [shared]=$IMG/shared.img [iso]=$IMG/iso.img [stopped]=$IMG/vm5.img [static]=$IMG/static.img
  [c100c201]=$IMG/c100c201.img [home]=/root/secret.txt [tmp]=/tmp/secret.txt)
# shellcheck disable=SC2088  # a column heading, not a path to expand
declare -A heading=([stopped]=vm5-stopped [c100c201]='c100,c201' [home]='~/secret'
  [tmp]=/tmp/secret)

declare -A logs=()
for row in "${rows[@]}" vm5; do
  [ "$row" = control ] && logs[$row]=$(section control) || logs[$row]=$(section "log-$row")
done
log_of() { echo "${logs[$1]}"; }
result() { awk -v op="$2" -v p="$3" '$1 == op && $2 == p { print $3; exit }' <<<"${logs[$1]}"; }
# A cell: R if read worked, W if write did, - otherwise.
cell() {
  local r w
  r=$(result "$1" read "${path[$2]}")
  w=$(result "$1" write "${path[$2]}")
  printf '%s%s' "$([ "$r" = OK ] && echo R || echo -)" "$([ "$w" = OK ] && echo W || echo -)"
}
expected() {  # what the policy must allow ROW on COLUMN
  local row=$1 col=$2
  case $row:$col in
    control:*) echo RW ;;
    *:shared) echo RW ;;   # image label without categories: every VM, by design
    *:iso) echo R- ;;      # virt_content_t: read-only content
    "$row:$row") echo RW ;;
    *) echo -- ;;
  esac
}
context_of() { log_of "$1" | sed -n 's/^context //p' | head -n 1; }
range_of() { context_of "$1" | cut -d: -f4-; }

echo "svirt:"
check "svirt model is selinux" has model '^model: selinux$'
for vm in vm5 vm1 vm2 vm3 vm4 static; do
  check "svirt run $vm exits 0" has "exit-$vm" '^exit 0$'
  err=$(section "svirt-err-$vm")
  [ -z "$err" ] || { echo "  svirt run $vm said:"; indent <<<"$err"; }
done
check "the stopped VM (vm5) ran confined and used its disk" \
  eval "has log-vm5 '^context $S:svirt_t:s0:c[0-9]+,c[0-9]+$' &&
        has log-vm5 '^read $IMG/vm5.img OK$' && has log-vm5 '^write $IMG/vm5.img OK$'"
check "all VMs were running before any probed (svirt list)" has barrier '^all running$'
for row in "${vms[@]}" static; do
  check "$row's probe passed the barrier and held" \
    eval "has log-$row '^barrier GO$' && has log-$row '^done$' && has log-$row '^hold EXIT$'"
done

# Dynamic labels: well formed, distinct, never the static VM's.
declare -A seen=()  # keyed "x<context>": a context may be empty
for vm in "${vms[@]}"; do
  ctx=$(context_of "$vm")
  check "$vm runs in a dynamic svirt_t pair ($ctx)" \
    eval "[[ '$ctx' =~ ^$S:svirt_t:s0:c[0-9]+,c[0-9]+$ ]] && [ '$ctx' != $S:svirt_t:s0:c100,c200 ]"
  check "$vm's pair is not shared with another VM" eval "[ -z '${seen[x$ctx]:-}' ]"
  seen[x$ctx]=1
done
check "static VM runs in its label" same "$(context_of static)" "$S:svirt_t:s0:c100,c200"
check "negative control runs unconfined (init_t)" \
  same "$(context_of control)" "$S:init_t:s0-s0:c0.c1023"

# The matrix.
bad=()
declare -A got=()
for row in "${rows[@]}"; do
  for col in "${cols[@]}"; do
    got[$row:$col]=$(cell "$row" "$col")
    want=$(expected "$row" "$col")
    [ "${got[$row:$col]}" = "$want" ] ||
      bad+=("$row on ${path[$col]}: expected $want, got ${got[$row:$col]}")
  done
done
matrix=$(
  printf '  %-9s' process
  for col in "${cols[@]}"; do printf ' %-11s' "${heading[$col]:-$col}"; done
  echo
  for row in "${rows[@]}"; do
    printf '  %-9s' "$row"
    for col in "${cols[@]}"; do
      mark=
      [ "${got[$row:$col]}" = "$(expected "$row" "$col")" ] || mark='!'
      printf ' %-11s' "${got[$row:$col]}$mark"
    done
    echo
  done
  echo "  (vm1-4: dynamic labels; static: svirt_t:s0:c100,c200 from <seclabel type='static'>;"
  echo "   control: the same probe, unconfined, without svirt)"
)
print_matrix() {
  echo "access matrix (rows: processes, columns: files; R read, W write, - denied; ! unexpected):"
  echo "$matrix"
}
echo
print_matrix
echo
check "every cell of the matrix is as the policy requires" eval "((${#bad[@]} == 0))"
for b in "${bad[@]}"; do echo "       $b"; done

# Each cross-VM denial must be the kernel's MCS decision, logged with both VMs' labels.
avc=$(section avc)
missing_avc=()
for vm in "${vms[@]}"; do
  for other in "${vms[@]}"; do
    [ "$vm" = "$other" ] && continue
    for perm in read write; do
      grep -F "{ $perm }" <<<"$avc" | grep -F "name=\"$other.img\"" |
        grep -qF "scontext=$S:svirt_t:$(range_of "$vm") tcontext=$O:svirt_image_t:$(range_of "$other") tclass=file" ||
        missing_avc+=("$vm $perm $other.img")
    done
  done
done
check "24 AVC denials: each of the 12 cross-VM reads and writes, with both labels" \
  eval "((${#missing_avc[@]} == 0))"
for m in "${missing_avc[@]}"; do echo "       no AVC for: $m"; done
# qemu-img, which the example stack runs as virtd_t to create its thin clone, is not svirt: it
# probes io_uring, which Debian's policy does not grant virtd_t, and falls back to poll.
check "svirt itself (virtd_t) was denied nothing" \
  eval "! grep 'scontext=$S:virtd_t' <<<\"\$avc\" | grep -qv 'comm=\"qemu-img\"'"

# One line per denial: scontext -> tcontext { perm } file.
avc_lines() {
  sed -n 's/.*{ \([a-z]*\) }.* name="\([^"]*\)".* scontext=\([^ ]*\) tcontext=\([^ ]*\) .*/  \3 -> \4 { \1 } \2/p' |
    sort
}
echo "AVC denials on the dynamic VMs' disks (the kernel's MCS decisions):"
grep -F 'svirt-probe' <<<"$avc" | grep -E 'name="vm[1-4]\.img"' |
  grep -F "tcontext=$O:svirt_image_t:s0:c" | avc_lines
if ((!demo)); then
  echo "  ... and $(grep -F 'svirt-probe' <<<"$avc" |
    grep -vcE 'name="vm[1-4]\.img".*tcontext=system_u:object_r:svirt_image_t:s0:c') more denials of VM processes (--demo lists them)"
else
  echo "all AVC denials of VM processes:"
  grep -F 'svirt-probe' <<<"$avc" | avc_lines
fi
((demo)) && { echo "raw AVC records:"; indent <<<"$avc"; }

# dominfo reports the label the kernel actually gave each process.
echo "dominfo:"
dominfo=$(section dominfo)
for row in "${vms[@]}" static; do
  block=$(awk -v n="$row" '/^@vm / { p = ($2 == n) } p' <<<"$dominfo")
  ctx=$(context_of "$row")
  proc=$(sed -n 's/^@process [0-9]* //p' <<<"$block")
  printf '  %-7s %s; the process: %s\n' "$row" \
    "$(sed -n 's/^Security label: //p' <<<"$block")" "${proc:-none}"
  ((demo)) && indent <<<"$block"
  check "dominfo $row: model selinux, DOI 0" \
    eval "grep -q '^Security model: selinux$' <<<\"\$block\" &&
          grep -qE '^Security DOI: +0$' <<<\"\$block\""
  check "dominfo $row: label is the process's real context, enforcing" \
    eval "grep -qxF 'Security label: $ctx (enforcing)' <<<\"\$block\" && [ '$proc' = '$ctx' ]"
done

# Labels while running, and every original back afterwards.
echo "labels:"
running=$(section labels-running)
label_of() { awk -v f="$1" '$2 == f { print $1 }' <<<"$running"; }
for vm in "${vms[@]}"; do
  check "while running, $vm.img and $vm.log carry svirt_image_t:$(range_of "$vm")" \
    eval "[ '$(label_of "$vm.img")' = '$O:svirt_image_t:$(range_of "$vm")' ] &&
          [ '$(label_of "$vm.log")' = '$O:svirt_image_t:$(range_of "$vm")' ]"
done
check "while running, the shareable disk is svirt_image_t:s0" \
  same "$(label_of shared.img)" "$O:svirt_image_t:s0"
check "while running, the readonly disk is virt_content_t:s0" \
  same "$(label_of iso.img)" "$O:virt_content_t:s0"
check "the stopped VM's disk was restored to virt_image_t:s0" \
  same "$(label_of vm5.img)" "$O:virt_image_t:s0"
check "relabel='no': the static VM's files were left alone" \
  eval "[ '$(label_of static.img)' = '$O:svirt_image_t:s0:c100,c200' ] &&
        [ '$(label_of c100c201.img)' = '$O:svirt_image_t:s0:c100,c201' ]"
check "after all VMs stopped, every file has its original label" \
  same "$(section labels-after)" "$(section labels-before)"
((demo)) && { echo "  before:"; section labels-before | indent; echo "  running:"; indent \
  <<<"$running"; echo "  after:"; section labels-after | indent; }
check "svirt list is empty afterwards" \
  eval "[ \"\$(section list-after | grep -vc '^NAME')\" = 0 ]"

# --- Linux audit records (built with libaudit) -------------------------------------------------
if ((audit_records)); then
  echo "audit records (the guest kernel's log of what svirt sent):"
  virt_audit=$(section virt-audit)
  ((demo)) && grep -E 'vm="vm1"' <<<"$virt_audit" | sed "s/.*msg='/  /; s/ exe=.*res=\([a-z]*\).*/ res=\1/"
  for vm in "${vms[@]}"; do
    ctx=$(context_of "$vm")
    check "VIRT_MACHINE_ID for $vm from virtd_t: vm-ctx and img-ctx are its labels" \
      eval "grep -F 'type=2502 ' <<<\"\$virt_audit\" | grep -F 'subj=$S:virtd_t:' |
              grep -qF 'vm=\"$vm\" uuid=? vm-ctx=$ctx img-ctx=$O:svirt_image_t:$(range_of "$vm") model=selinux'"
    check "VIRT_RESOURCE start and stop of $vm.img" \
      eval "grep -F 'type=2501 ' <<<\"\$virt_audit\" |
              grep -qF 'resrc=disk reason=start vm=\"$vm\" uuid=? old-disk=\"?\" new-disk=\"$IMG/$vm.img\"' &&
            grep -F 'type=2501 ' <<<\"\$virt_audit\" |
              grep -qF 'resrc=disk reason=stop vm=\"$vm\" uuid=? old-disk=\"$IMG/$vm.img\" new-disk=\"?\"'"
  done
fi

# --- save files (svirt save-label / restore-save-label) ------------------------------------------
if [ -n "$(section exit-saver)" ]; then
  echo "save file:"
  save=$IMG/saver.save
  section_context() { section "log-$1" | sed -n 's/^context //p' | head -n 1; }
  saver=$(section_context saver)
  saver_img=$O:svirt_image_t:${saver#"$S:svirt_t:"}
  printf '  %s: %s while saver runs, %s after\n' "$save" \
    "$(section save-label-set | awk '{ print $1 }')" "$(section save-label-restored | awk '{ print $1 }')"
  ((demo)) && { section save-label-out | indent; section save-label-restore-out | indent; }
  check "saver runs in a dynamic pair and exits 0" \
    eval "[[ '$saver' =~ ^$S:svirt_t:s0:c[0-9]+,c[0-9]+$ ]] && has exit-saver '^exit 0$'"
  check "save-label gives the save file saver's image label ($saver_img)" \
    eval "[ \"\$(section save-label-set | awk '{ print \$1 }')\" = '$saver_img' ]"
  check "saver reads and writes its save file" \
    eval "has log-saver '^read $save OK$' && has log-saver '^write $save OK$'"
  check "restore-save-label gives the file back its original label" \
    eval "[ \"\$(section save-label-restored)\" = \"\$(section save-label-before)\" ]"
  check "another VM cannot read or write the save file, and the kernel logged it" \
    eval "has log-other '^read $save EACCES$' && has log-other '^write $save EACCES$' &&
          grep -F 'name=\"saver.save\"' <<<\"\$avc\" |
            grep -qF 'scontext=$(section_context other) tcontext=$O:virt_image_t:s0 tclass=file'"
fi

# --- the example management stack with real QEMU ----------------------------------------------
dom0_out=$(section dom0)
if [ -n "$dom0_out$(section dom0-exit)" ]; then
  echo "mini dom0 (examples/mini-dom0, real qemu-system-x86_64 guests under TCG):"
  ((demo)) && indent <<<"$dom0_out"
  dom0_field() { sed -n "s/^$1: $2 //p" <<<"$3" | head -n 1; }
  check "mini-dom0 exits 0: every guest ran and was cleaned up" has dom0-exit '^exit 0$'
  declare -A dom0_pair=()
  for vm in web db layered; do
    label=$(dom0_field "$vm" label "$dom0_out")
    proc=$(dom0_field "$vm" pid "$dom0_out" | sed 's/^[0-9]* running as //')
    img=$(dom0_field "$vm" imagelabel "$dom0_out")
    dom0_pair[$vm]=${label#"$S:svirt_t:"}  # s0:cA,cB
    printf '  %-7s qemu ran as %s\n' "$vm" "${proc:-?}"
    check "$vm: qemu runs as the label svirt chose, a dynamic svirt_t pair" \
      eval "[[ '$label' =~ ^$S:svirt_t:s0:c[0-9]+,c[0-9]+$ ]] && [ '$proc' = '$label' ]"
    if [ "$vm" = layered ]; then
      # The XML names the overlay only: the template below it came from the overlay's header.
      check "layered: while qemu ran, the qcow2 overlay and log carried $img, the template virt_content_t" \
        eval "grep -qx 'layered: now hda $IMG/dom0-layered.qcow2 $img' <<<\"\$dom0_out\" &&
              grep -qx 'layered: now hda $IMG/dom0-layered-base.img $O:virt_content_t:s0' <<<\"\$dom0_out\" &&
              grep -qE '^layered: now serial0 [^ ]+ $img$' <<<\"\$dom0_out\" &&
              grep -qE '^layered: command .* -drive file=$IMG/dom0-layered.qcow2,format=qcow2,' <<<\"\$dom0_out\""
    else
      check "$vm: while qemu ran, its disk and serial log carried $img, the shared read-only disk virt_content_t" \
        eval "grep -qE '^$vm: now hda [^ ]+ $img$' <<<\"\$dom0_out\" &&
              grep -qE '^$vm: now serial0 [^ ]+ $img$' <<<\"\$dom0_out\" &&
              grep -qE '^$vm: now hdb [^ ]+ $O:virt_content_t:s0$' <<<\"\$dom0_out\""
    fi
    check "$vm: the guest read its greeting from its own disk and wrote to it" \
      eval "grep -qx '$vm: serial hello from $vm, read from its own disk' <<<\"\$dom0_out\" &&
            grep -qx '$vm: serial disk written' <<<\"\$dom0_out\" &&
            grep -qx '$vm: marker yes' <<<\"\$dom0_out\" &&
            grep -qx '$vm: exit 3 guest ok' <<<\"\$dom0_out\""
    check "$vm: no denial of its qemu on a file carrying its own label" \
      eval "! grep -F 'scontext=$label ' <<<\"\$avc\" | grep -qF 'tcontext=$O:svirt_image_t:${dom0_pair[$vm]} '"
  done
  check "web, db and layered hold three different pairs" \
    eval "[ \"\$(printf '%s\\n' '${dom0_pair[web]}' '${dom0_pair[db]}' '${dom0_pair[layered]}' | sort -u | wc -l)\" = 3 ]"
  check "db's disks reached qemu as passed descriptors (-add-fd, /dev/fdset), web's by path" \
    eval "grep -qE '^db: command .* -add-fd fd=3,set=1 -drive file=/dev/fdset/1,' <<<\"\$dom0_out\" &&
          grep -qE '^web: command .* -drive file=$IMG/dom0-web.img,' <<<\"\$dom0_out\""
  # "FILE LABEL", sorted, against the labels the files were created with.
  check "after the stack stopped, every file has its original label" \
    same "$(section dom0-labels-after | awk '{ print $2, $1 }' | sort)" "$(sort <<EOF
$IMG/dom0-layered-base.img $O:virt_image_t:s0
$IMG/dom0-layered.qcow2 $O:virt_image_t:s0
$IMG/dom0-tools.img $O:virt_image_t:s0
$IMG/dom0-web.img $O:virt_image_t:s0
$IMG/private $O:virt_image_t:s0:c0.c1023
$IMG/private/dom0-db.img $O:virt_image_t:s0
/var/lib/libvirt/qemu/dom0-db.log $O:svirt_runtime_t:s0
/var/lib/libvirt/qemu/dom0-layered.log $O:svirt_runtime_t:s0
/var/lib/libvirt/qemu/dom0-web.log $O:svirt_runtime_t:s0
EOF
)"
  # Control: the same db without descriptors cannot reach its disk, which it may not look up.
  ctl=$(section dom0-control)
  ctl_label=$(dom0_field db label "$ctl")
  printf '  control: db without passed descriptors: %s\n' \
    "$(section dom0-control-err | grep -m1 'Could not open' | sed 's/.*: Could not open/could not open/')"
  check "control: db started by path fails (exit 1) and its labels are restored" \
    eval "grep -qx 'exit 1' <<<\"\$(section dom0-control-exit)\" &&
          grep -qx 'db: exit 1 qemu failed' <<<\"\$ctl\" &&
          grep -qE '^db: restored hda [^ ]+ restored now $O:virt_image_t:s0$' <<<\"\$ctl\""
  check "control: qemu was denied opening the path, the kernel logged the search denial" \
    eval "grep -q 'dom0-db.img.: Permission denied' <<<\"\$(section dom0-control-err)\" &&
          grep -F '{ search }' <<<\"\$avc\" | grep -F 'name=\"private\"' |
            grep -qF 'scontext=$ctl_label tcontext=$O:virt_image_t:s0:c0.c1023 tclass=dir'"
  check "svirt list is empty after the stack" \
    eval "[ \"\$(section dom0-list-after | grep -vc '^NAME')\" = 0 ]"
fi

# --- an emulated domain on a policy without a TCG type ---------------------------------------
if [ -n "$(section tcg-boolean)" ]; then
  echo "TCG: $(section tcg-err | head -n 1) (virt_use_execmem: $(section tcg-boolean))"
  check "a type='qemu' domain prepares, with libvirt's execmem warning (no TCG type in the policy)" \
    eval "has tcg-exit '^exit 0$' &&
          has tcg-err \"no domain type for QEMU's TCG emulation.*'virt_use_execmem'\""
fi

# --- a VM svirt did not start ----------------------------------------------------------------
if [ -n "$(section foreign-exit)" ]; then
  echo "foreign VM (a svirt_t:s0:c3,c4 process in machine.slice, not started by svirt):"
  fpid=$(section foreign-process | sed -n 's/^pid \([0-9]*\) .*/\1/p')
  check "the foreign VM runs in svirt_t:s0:c3,c4, in machine.slice" \
    eval "has foreign-process '^pid [0-9]+ $S:svirt_t:s0:c3,c4$' && has foreign-process '^${fpid:-none}$'"
  pool=$(section foreign-pool)
  granted=$(awk '$2 == "exit" && $3 == 0 { print $4 }' <<<"$pool")
  printf '  pool c0.c7 (28 pairs): %s prepared, then: %s\n' "$(grep -c . <<<"$granted")" \
    "$(grep -m1 ' said ' <<<"$pool" | sed 's/^pool[0-9]* said //')"
  check "27 of the 28 pairs of c0.c7 are handed out, each once, none of them c3,c4" \
    eval "[ \"\$(grep -cE '^$S:svirt_t:s0:c[0-7],c[0-7]$' <<<\"\$granted\")\" = 27 ] &&
          [ \"\$(sort -u <<<\"\$granted\" | grep -c .)\" = 27 ] &&
          ! grep -qx '$S:svirt_t:s0:c3,c4' <<<\"\$granted\""
  check "the 28th prepare finds the pool exhausted, naming the foreign VM that holds a pair" \
    eval "grep -qE '^pool28 exit [12] ' <<<\"\$pool\" &&
          grep -E '^pool28 said ' <<<\"\$pool\" |
            grep -qF 'exhausted: all 28 pairs of c0.c7 are in use (1 held by VMs svirt did not start, such as process ${fpid:-none} running as $S:svirt_t:s0:c3,c4)'"
  check "a static label on the foreign VM's pair is refused (exit 2), naming the process" \
    eval "has foreign-static '^exit 2 .*running process ${fpid:-none} \(not started by svirt\)'"
  check "the foreign VM used its own disk, and svirt list is empty afterwards" \
    eval "has foreign-exit '^exit 0$' && [ \"\$(section foreign-list-after | grep -vc '^NAME')\" = 0 ]"
fi

if ((demo)); then
  echo
  print_matrix
fi
if ((failures)); then
  echo "enforce: $failures assertion(s) failed"
  exit 1
fi
echo "enforce: all assertions hold"
exit 0
