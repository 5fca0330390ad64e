#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# svirt's global options, --help, --version and `model`.
source "$(dirname "$0")/lib.sh"

plan 14

sv --help
expect_rc 0 && for c in model validate prepare release run dominfo list recover attach detach audit; do
  expect_match "$OUT" "(^|[[:space:]])${c}[[:space:]]" "--help command list" || break
done
result $? "--help exits 0 and lists every command"

sv --help
expect_rc 0 && for o in --driver --config --state-dir --json --verbose; do
  expect_match "$OUT" "$o" "--help options" || break
done
result $? "--help describes every global option"

sv --version
expect_rc 0 && expect_match "$OUT" '^svirt [0-9]+\.[0-9]+(\.[0-9]+)?' "--version"
result $? "--version prints the version"

new_state
svt model
expect_rc 0 && expect_eq "$OUT" $'model: selinux\ndoi: 0' "model output"
result $? "test driver: model selinux, doi 0"

new_state
svn model
expect_rc 0 && expect_eq "$OUT" $'model: none\ndoi: 0' "model output"
result $? "none driver: model none, doi 0"

new_state
svt --json model
expect_rc 0 && json_check 'd["model"] == "selinux" and str(d["doi"]) == "0"'
result $? "model --json"

new_state
if selinux_enabled; then
  skip "auto without SELinux picks none" "SELinux is enabled on this host"
else
  sv -d auto -s "$STATE" "${CONF[@]}" model
  expect_rc 0 && expect_eq "$OUT" $'model: none\ndoi: 0' "model output" &&
    expect_match "$ERR" '^svirt: .*(SELinux|selinux).*none' "probe note"
  result $? "auto without SELinux picks none and says so on stderr"
fi

new_state
svt -v model
expect_rc 0 && expect_eq "$OUT" $'model: selinux\ndoi: 0' "stdout with -v" &&
  expect_match "$ERR" 'debug' "stderr with -v"
result $? "-v logs to stderr only"

new_state
sv -d bogus -s "$STATE" model
expect_rc 1 && expect_one_error 'bogus' && expect_no_stdout
result $? "unknown driver: exit 1, one error line"

sv -d test -s "$STATE" frobnicate
expect_rc 1 && expect_match "$ERR" '^svirt: error: .*frobnicate' "stderr"
result $? "unknown command: exit 1"

sv -d test -s "$STATE"
expect_rc 1 && expect_match "$ERR" '^svirt: error: ' "stderr"
result $? "no command: exit 1"

sv --no-such-option model
expect_rc 1 && expect_match "$ERR" '^svirt: error: ' "stderr"
result $? "unknown option: exit 1"

svt model extra
expect_rc 1 && expect_one_error
result $? "model with an argument: exit 1"

svt prepare
expect_rc 1 && expect_one_error
result $? "prepare without DOMAIN.xml: exit 1"
