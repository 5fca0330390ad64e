#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Labels are bytes. An original with a trailing NUL (as chcon and the kernel
# store it), an embedded NUL, bytes that are not UTF-8 or a newline comes
# back byte for byte after prepare and release; every output shows it
# escaped: JSON stays valid, a text report keeps one line per resource.
source "$(dirname "$0")/lib.sh"

[ $have_getfattr = 1 ] || skip_all "setfattr (package attr) is needed"

plan 14

X=$WORK/xml
mkdir -p "$X"
ORIG=system_u:object_r:virt_image_t:s0
NAMES=(nul embedded notutf8 newline)

# hex_label FILE: the label's exact bytes, in hex.
hex_label() {
  "$PY" -c 'import os, sys
try: print(os.getxattr(sys.argv[1], sys.argv[2]).hex())
except OSError: print("<none>")' "$1" "$XATTR"
}

# setfattr reads \NNN as an octal byte.
fresh_images() {
  mkimg nul.img && setfattr -n "$XATTR" -v "$ORIG\\000" "$IMG/nul.img"
  mkimg embedded.img && setfattr -n "$XATTR" -v 'system_u:object_r:a\000b_t:s0' "$IMG/embedded.img"
  mkimg notutf8.img && setfattr -n "$XATTR" -v 'system_u:object_r:\377\376_t:s0' "$IMG/notutf8.img"
  mkimg newline.img &&
    setfattr -n "$XATTR" -v 'system_u:object_r:x_t:s0\012restored  /etc/shadow -> ok' "$IMG/newline.img"
}

# valid_json: stdout is one JSON document in strict UTF-8 (Python's stdin
# would let bytes that are not UTF-8 through).
valid_json() {
  printf '%s' "$OUT" | "$PY" -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))'
}

snapshot_hex() {
  local n
  for n in "${NAMES[@]}"; do printf '%s=%s\n' "$n" "$(hex_label "$IMG/$n.img")"; done
}

DEVS=(vda vdb vdc vdd)
{
  echo "<domain type='kvm'><name>odd</name><devices>"
  for i in "${!NAMES[@]}"; do
    echo "<disk type='file' device='disk'><source file='$IMG/${NAMES[i]}.img'/><target dev='${DEVS[i]}'/></disk>"
  done
  echo "</devices></domain>"
} >"$X/odd.xml"

# JSON of a resource by file name: r("nul") in json_check expressions.
R='(lambda n: [x for x in d["resources"] if x["path"].endswith("/" + n + ".img")][0])'

new_state
fresh_images
before=$(snapshot_hex)
expect_match "$(hex_label "$IMG/nul.img")" '00$' "setfattr stored the trailing NUL"
result $? "the test's original ends in a NUL byte"

svt --json prepare "$X/odd.xml"
expect_rc 0 && valid_json
result $? "prepare --json: one valid JSON document"

json_check "$R(\"nul\")[\"original\"] == \"$ORIG\""
result $? "an original with a trailing NUL is reported without it"

json_check "$R(\"embedded\")[\"original\"] == \"system_u:object_r:a\\x00b_t:s0\""
result $? "an embedded NUL is kept, escaped in JSON"

json_check "$R(\"notutf8\")[\"original\"] == \"system_u:object_r:\\\\xff\\\\xfe_t:s0\""
result $? "bytes that are not UTF-8 are shown as \\xNN in JSON"

json_check "$R(\"newline\")[\"original\"] == \"system_u:object_r:x_t:s0\\nrestored  /etc/shadow -> ok\""
result $? "a newline is kept, escaped in JSON"

svt release odd
expect_rc 0 && expect_eq "$(printf '%s\n' "$OUT" | grep -c '')" 4 "lines of the release report"
result $? "release: one text line per resource, whatever the labels hold"

expect_line "^restored +$IMG/newline\\.img -> system_u:object_r:x_t:s0\\\\nrestored  /etc/shadow -> ok\$" "newline" &&
  expect_line "^restored +$IMG/embedded\\.img -> system_u:object_r:a\\\\x00b_t:s0\$" "NUL" &&
  expect_line "^restored +$IMG/notutf8\\.img -> system_u:object_r:\\\\xff\\\\xfe_t:s0\$" "not UTF-8" &&
  expect_line "^restored +$IMG/nul\\.img -> $ORIG\$" "trailing NUL"
result $? "release text: \\n and \\xNN escapes, the trailing NUL left out"

expect_same_snapshot "$before" "$(snapshot_hex)"
result $? "every original is back byte for byte after prepare and release"

# The same through --json. (Each svirt call is a process of its own: release
# finds the originals in the state directory.)
svt prepare "$X/odd.xml"
expect_rc 0
result $? "prepared again"

svt --json release odd
expect_rc 0 && valid_json
result $? "release --json: one valid JSON document"

json_check "$R(\"nul\")[\"restored_to\"] == \"$ORIG\" and $R(\"embedded\")[\"restored_to\"] == \"system_u:object_r:a\\x00b_t:s0\" and $R(\"notutf8\")[\"restored_to\"] == \"system_u:object_r:\\\\xff\\\\xfe_t:s0\""
result $? "release --json: restored_to as prepare reported the originals"

expect_same_snapshot "$before" "$(snapshot_hex)"
result $? "and every original is back byte for byte again"

# A path holding a newline: one text line, valid JSON.
mkimg $'two\nlines.img' "$ORIG"
cat >"$X/path.xml" <<EOF
<domain type='kvm'><name>path</name><devices>
<disk type='file' device='disk'><source file='$IMG/two&#10;lines.img'/><target dev='vda'/></disk>
</devices></domain>
EOF
svt --json prepare "$X/path.xml"
status=0
expect_rc 0 && json_check "d[\"resources\"][0][\"path\"] == \"$IMG/two\\nlines.img\"" || status=1
svt release path
expect_rc 0 && expect_eq "$OUT" "restored  $IMG/two\\nlines.img -> $ORIG" "release report" || status=1
result $status "a path with a newline: valid JSON, one escaped text line"
