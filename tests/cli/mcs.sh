#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Category pairs: distinct per domain (also across concurrent svirt
# processes), never a static domain's pair, exhaustion reported at once.
source "$(dirname "$0")/lib.sh"

plan 15

X=$WORK/xml
mkdir -p "$X"
for i in $(seq 1 30); do
  printf "<domain type='kvm'><name>dyn%d</name></domain>\n" "$i" >"$X/dyn$i.xml"
done

# labels: the label of every recorded domain, one a line.
labels() {
  svt --json list
  json_get '"\n".join(x["label"] or "-" for x in d["domains"])'
}

# --- twenty dynamic domains -----------------------------------------------------

new_state
failed=0
for i in $(seq 1 20); do
  svt prepare "$X/dyn$i.xml"
  [ "$RC" = 0 ] || { failed=1; diag "dyn$i: exit $RC: $ERR"; }
done
[ $failed = 0 ]
result $? "twenty dynamic domains prepare"

all=$(labels)
bad=""
while read -r l; do
  [[ "$l" =~ $DYN_RE ]] && expect_pair "$l" >/dev/null || bad+="$l "
done <<<"$all"
expect_eq "$(grep -c '' <<<"$all")" 20 "recorded domains" && expect_eq "$bad" "" "malformed labels"
result $? "each gets system_u:system_r:svirt_t:s0:cA,cB with A < B"

expect_eq "$(sed 's/.*://' <<<"$all" | sort -u | grep -c '')" 20 "distinct pairs"
result $? "all twenty pairs are distinct"

for i in $(seq 1 20); do svt release "dyn$i"; done
expect_eq "$(labels)" "" "domains left"
result $? "releasing them all leaves nothing recorded"

# --- concurrent svirt processes ----------------------------------------------

new_state
pids=()
for i in $(seq 1 12); do
  timeout 60 "$SVIRT_EXE" -d test -s "$STATE" "${CONF[@]}" prepare "$X/dyn$i.xml" >/dev/null 2>"$WORK/par$i.err" &
  pids+=($!)
  track_pid $!
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ $failed = 0 ] || diag "$(cat "$WORK"/par*.err)"
result $? "twelve svirt processes preparing at once all succeed"

all=$(labels)
expect_eq "$(grep -c '' <<<"$all")" 12 "recorded domains" &&
  expect_eq "$(sed 's/.*://' <<<"$all" | sort -u | grep -c '')" 12 "distinct pairs"
result $? "...with twelve distinct pairs"

# --- a static pair is never handed out; exhaustion ---------------------------------

cat >"$X/static.xml" <<'EOF'
<domain type='kvm'>
  <name>static</name>
  <seclabel type='static' model='selinux' relabel='no'>
    <label>system_u:system_r:svirt_t:s0:c0,c1</label>
  </seclabel>
</domain>
EOF
new_state
# c0.c7: 8 categories, 28 pairs.
use_config "[selinux]" "process_context = system_u:system_r:virtd_t:s0-s0:c0.c7"
svt prepare "$X/static.xml"
expect_rc 0
result $? "static domain on c0,c1 prepared"

failed=0
for i in $(seq 1 27); do
  svt prepare "$X/dyn$i.xml"
  [ "$RC" = 0 ] || { failed=1; diag "dyn$i: exit $RC: $ERR"; break; }
done
[ $failed = 0 ]
result $? "27 dynamic domains prepare in c0.c7 next to it"

all=$(labels)
dyn=$(grep -v ':c0,c1$' <<<"$all")
expect_eq "$(grep -c ':c0,c1$' <<<"$all")" 1 "domains on c0,c1" &&
  expect_eq "$(grep -c '' <<<"$dyn")" 27 "dynamic domains" &&
  expect_eq "$(sed 's/.*://' <<<"$dyn" | sort -u | grep -c '')" 27 "distinct dynamic pairs"
result $? "none of them got c0,c1, all pairs distinct"

bad=""
while read -r l; do expect_pair "$l" 7 >/dev/null || bad+="$l "; done <<<"$dyn"
expect_eq "$bad" "" "pairs outside c0.c7"
result $? "every pair lies within c0.c7"

t0=$(now_ms)
svt prepare "$X/dyn28.xml"
t1=$(now_ms)
expect_rc 2 && expect_one_error "exhaust" && expect_no_stdout &&
  { [ $((t1 - t0)) -lt 3000 ] || { diag "took $((t1 - t0)) ms"; false; }; }
result $? "the 28th dynamic domain: exit 2 'exhausted', at once"

svt --json prepare "$X/dyn28.xml"
expect_rc 2 && expect_json_error && json_check '"exhaust" in d["error"]["code"] + d["error"]["message"]'
result $? "exhaustion with --json: error document on stdout"

svt release dyn5
svt prepare "$X/dyn28.xml"
expect_rc 0
result $? "a released pair can be handed out again"

# A static domain asking for a pair a dynamic domain holds would make the two
# share it.
new_state
svt --json prepare "$X/dyn1.xml"
held=$(json_get 'd["label"]')
cat >"$X/static-taken.xml" <<EOF
<domain type='kvm'>
  <name>static-taken</name>
  <seclabel type='static' model='selinux' relabel='no'><label>$held</label></seclabel>
</domain>
EOF
svt prepare "$X/static-taken.xml"
expect_rc 2 && expect_one_error && expect_no_stdout
result $? "a static label on a pair a dynamic domain holds: exit 2"

svt --json list
expect_rc 0 && json_check '[x["name"] for x in d["domains"]] == ["dyn1"]'
result $? "...and it is not recorded"
