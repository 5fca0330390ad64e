#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# MCS dominance through the `svirt` command (docs/mcs.md): no live label may
# dominate, or be dominated by, another live domain's categories. A static
# set keeps every pair inside it from dynamic domains, a static label next to
# a live one it dominates (or that dominates it) is refused naming both, a
# label over the whole pool is accepted with a warning and then rules out
# every other domain, and unusual labels are accepted with a warning.
source "$(dirname "$(readlink -f "$0")")/../cli/lib.sh"

plan 10

X=$WORK/xml
mkdir -p "$X"

static_domain() {  # NAME LABEL [DEVICES]
  cat >"$X/$1.xml" <<XML
<domain type='kvm'><name>$1</name>
  <seclabel type='static' model='selinux' relabel='yes'><label>$2</label></seclabel>
  <devices>${3:-}</devices></domain>
XML
}
dynamic_domain() {  # NAME [DEVICES]
  echo "<domain type='kvm'><name>$1</name><devices>${2:-}</devices></domain>" >"$X/$1.xml"
}
# The categories of every live domain's label, one line each.
live_categories() {
  svt --json list
  json_get '"\n".join((x["label"] or "-").rsplit(":", 1)[1] for x in d["domains"])'
}

# c0.c7: 8 categories, 28 pairs; c0,c1,c2 dominates 3 of them.
new_state
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c7"
static_domain triple system_u:system_r:svirt_t:s0:c0,c1,c2
svt prepare "$X/triple.xml"
expect_rc 0
result $? "a static label with three categories is prepared"

failed=0
for i in $(seq 1 25); do
  dynamic_domain "dyn$i"
  svt prepare "$X/dyn$i.xml"
  [ "$RC" = 0 ] || { failed=1; diag "dyn$i: exit $RC: $ERR"; break; }
done
inside=$(live_categories | grep -cxE 'c0,c1|c0,c2|c1,c2')
[ $failed = 0 ] && expect_eq "$inside" 0 "dynamic pairs inside c0,c1,c2" &&
  expect_eq "$(live_categories | sort -u | grep -c '')" 26 "distinct category sets"
result $? "25 dynamic domains fill the 25 pairs it does not dominate, none inside it"

dynamic_domain dyn26
svt prepare "$X/dyn26.xml"
expect_rc 2 && expect_one_error "exhausted.*domain 'triple'" && expect_no_stdout
result $? "the 26th is refused: exhausted, naming the static domain that rules pairs out"

# A static label dominating a live dynamic pair, and one dominated by a live
# static label: refused, naming both, nothing recorded for them.
held=$(live_categories | grep -vx 'c0.c2' | head -n1)
extra=$(for c in c0 c1 c2 c3 c4 c5 c6 c7; do [[ ",$held," == *",$c,"* ]] || echo "$c"; done | tail -n1)
over=$(tr , '\n' <<<"$held,$extra" | sort -t c -k2 -n | paste -sd,)
static_domain over "system_u:system_r:svirt_t:s0:$over"
svt prepare "$X/over.xml"
expect_rc 2 && expect_one_error "'over'.*dominates .*of live domain 'dyn[0-9]+'" &&
  ! live_categories | grep -qx "$over"
result $? "a static label dominating a live domain's pair is refused (exit 2), naming both"

static_domain under system_u:system_r:svirt_t:s0:c1
svt prepare "$X/under.xml"
expect_rc 2 && expect_one_error "'under'.*is dominated by .*live domain 'triple'"
result $? "a static label dominated by a live static label is refused (exit 2)"

# The whole pool: accepted with a warning, and then no other domain starts.
new_state
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c7"
static_domain wide system_u:system_r:svirt_t:s0-s0:c0.c7
svt prepare "$X/wide.xml"
expect_rc 0 && expect_match "$ERR" "warning: .*holds every category of the pool" "stderr"
result $? "a static label over the whole pool: prepared, with a warning"

svt prepare "$X/dyn1.xml"
expect_rc 2 && expect_one_error "exhausted: domain 'wide' holds categories c0.c7"
svt release wide
svt prepare "$X/dyn1.xml"
expect_rc 0
result $? "...no dynamic domain beside it; one prepares once it is released"

# Unusual labels libvirt accepts: a base type outside the VM policy, a disk
# given another live domain's image label.
other=$(live_categories)  # dyn1's pair
free=$(for c in c0 c1 c2 c3 c4 c5 c6 c7; do [[ ",$other," == *",$c,"* ]] || echo "$c"; done | head -n2 | paste -sd,)
static_domain unc "system_u:system_r:unconfined_t:s0:$free"
svt prepare "$X/unc.xml"
expect_rc 0 && expect_match "$ERR" "warning: domain 'unc': .*'unconfined_t', not a VM domain type" "stderr"
result $? "an unconfined base type: prepared, with a warning"

mkimg borrowed.img system_u:object_r:virt_image_t:s0
dynamic_domain thief "<disk type='file' device='disk'><source file='$IMG/borrowed.img'><seclabel model='selinux' relabel='yes'><label>system_u:object_r:svirt_image_t:s0:$other</label></seclabel></source><target dev='vda'/></disk>"
svt prepare "$X/thief.xml"
expect_rc 0 && expect_match "$ERR" "warning: domain 'thief': disk vda .*borrowed\.img.* live domain 'dyn1'" "stderr"
result $? "a disk labelled with another live domain's categories: prepared, with a warning naming it"

# A VM another manager started (libvirt's): the test driver reads a process's
# label from its environment, as its own exec plan leaves it.
new_state
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c7"
env SVIRT_LABEL=system_u:system_r:svirt_t:s0:c3,c4 SVIRT_TEST_HOST="$STATE" sleep 60 &
foreign=$!
track_pid "$foreign"
for _ in $(seq 50); do grep -qa SVIRT_LABEL "/proc/$foreign/environ" && break; sleep 0.1; done
static_domain near system_u:system_r:svirt_t:s0:c3,c4,c5
svt prepare "$X/near.xml"
expect_rc 2 && expect_one_error "'near'.*dominates .*running process $foreign \\(not started by svirt\\)"
result $? "a static label over a running VM's pair that svirt did not start is refused, naming the process"
