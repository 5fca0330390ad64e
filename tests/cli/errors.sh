#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# How failures are reported: exit status 1 or 2, one stderr line, and with
# --json an {"error": {"code", "message"}} document on stdout; and that every
# --json success is exactly one JSON document even when svirt warns.
source "$(dirname "$0")/lib.sh"

plan 19

X=$WORK/xml
mkdir -p "$X"

# json_fails STATUS DESC ARGS...: svt --json ARGS fails with STATUS, one stderr
# line, and an error document whose message is that line's text.
json_fails() {
  local want=$1 desc=$2
  shift 2
  svt --json "$@"
  expect_rc "$want" && expect_one_error && expect_json_error &&
    json_check "'svirt: error: ' + d['error']['message'] == $(printf '%s' "$ERR" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
  result $? "$desc"
}

mkimg disk.img
echo "<domain type='kvm'><name>ok</name><devices><disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/></disk></devices></domain>" >"$X/ok.xml"
printf "<domain type='kvm'><name>broken</name>\n" >"$X/broken.xml"
printf "<domain type='kvm'><name>rel</name><devices><disk type='file' device='disk'><source file='a.img'/><target dev='vda'/></disk></devices></domain>\n" >"$X/rel.xml"
ln -sfn /etc "$IMG/etc"
echo "<domain type='kvm'><name>sys</name><devices><disk type='file' device='disk'><source file='$IMG/etc'/><target dev='vda'/></disk></devices></domain>" >"$X/sys.xml"

new_state
json_fails 1 "--json prepare of malformed XML: exit 1 and an error document" prepare "$X/broken.xml"
json_fails 1 "--json prepare with a relative path: exit 1 and an error document" prepare "$X/rel.xml"
json_fails 1 "--json validate of malformed XML: exit 1 and an error document" validate "$X/broken.xml"
json_fails 1 "--json run of malformed XML: exit 1 and an error document" run "$X/broken.xml" -- true
json_fails 1 "--json usage error: exit 1 and an error document" prepare
json_fails 2 "--json release of an unknown domain: exit 2 and an error document" release nobody
json_fails 2 "--json dominfo of an unknown domain: exit 2 and an error document" dominfo nobody
before=$(snapshot /etc)
json_fails 2 "--json prepare of a system path: exit 2 and an error document" prepare "$X/sys.xml"
expect_same_snapshot "$before" "$(snapshot /etc)"
result $? "...and /etc is untouched"

svt prepare "$X/ok.xml"
json_fails 2 "--json prepare of a name already recorded: exit 2 and an error document" prepare "$X/ok.xml"
svt release ok

new_state
use_config "[selinux]" "no_such_key = 1"
json_fails 1 "--json with an unknown config key: exit 1 and an error document" model

new_state
svt --json frobnicate
expect_rc 1 && expect_json_error
result $? "--json unknown command: exit 1 and an error document"

svt release nobody
expect_match "$ERR" "^svirt: error: [^:]*nobody[^:]*: .+" "stderr"
result $? "error line has the form 'svirt: error: <what>: <why>'"

# --- successes: exactly one JSON document ---------------------------------

new_state
svt --json list
expect_rc 0 && json_check 'd == {"domains": []}'
result $? "list --json with nothing recorded: {\"domains\": []}"

svt --json recover
expect_rc 0 && json_check 'isinstance(d, dict)'
result $? "recover --json: one JSON document"

# A unix socket svirt is to create does not exist yet: svirt warns, and the
# warning must stay off stdout.
cat >"$X/warn.xml" <<EOF
<domain type='kvm'><name>warn</name><devices>
<channel type='unix'><source mode='bind' path='$IMG/not-yet.sock'/><target type='virtio' name='org.example.a'/></channel>
<disk type='file' device='disk'><source file='$IMG/disk.img'/><target dev='vda'/></disk>
</devices></domain>
EOF
svt --json prepare "$X/warn.xml"
expect_rc 0 && json_check 'd["name"] == "warn"' &&
  { [ -z "$ERR" ] || expect_match "$ERR" '^svirt: warning: ' "stderr"; }
result $? "prepare --json with a warning: stdout is still one JSON document"

svt --json dominfo warn
expect_rc 0 && json_check 'd["name"] == "warn" and d["label"].startswith("system_u:system_r:svirt_t:s0:c")'
result $? "dominfo --json: one JSON document with the label"

svt --json release warn
expect_rc 0 && json_check 'd["name"] == "warn"' && expect_label "$IMG/disk.img" "<none>"
result $? "release --json: one JSON document, labels back"

# --- exit status 0 on success for every command ------------------------------

new_state
rcs=""
svt validate "$X/ok.xml"; rcs+="validate=$RC "
svt prepare "$X/ok.xml"; rcs+="prepare=$RC "
svt list; rcs+="list=$RC "
svt dominfo ok; rcs+="dominfo=$RC "
svt release ok; rcs+="release=$RC "
svt recover; rcs+="recover=$RC "
svt run "$X/ok.xml" -- true; rcs+="run=$RC "
expect_eq "$rcs" "validate=0 prepare=0 list=0 dominfo=0 release=0 recover=0 run=0 " "exit statuses"
result $? "every command exits 0 on success"
