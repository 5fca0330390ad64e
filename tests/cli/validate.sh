#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `svirt validate`: normalized XML out, and every kind of refused input
# (exit 1, one error line, nothing on stdout, nothing changed).
source "$(dirname "$0")/lib.sh"

plan 41

X=$WORK/xml
mkdir -p "$X"

# domain NAME DEVICES [OS] [SECLABEL]: a domain document on stdout.
domain() {
  cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <os><type>hvm</type>${3:-}</os>
  <devices>
$2
  </devices>
  ${4:-<seclabel type='dynamic' model='selinux' relabel='yes'/>}
</domain>
EOF
}

# refused DESC FILE [STDERR-ERE]: validate fails as invalid input.
refused() {
  new_state
  svt validate "$2"
  expect_rc 1 && expect_one_error "${3:-}" && expect_no_stdout
  result $? "$1"
}

mkimg a.img
mkimg b.img "system_u:object_r:user_home_t:s0"

# --- accepted ---------------------------------------------------------------

domain ok "<disk type='file' device='disk'><source file='$IMG/a.img'/><target dev='vda'/></disk>
<disk type='file' device='cdrom'><source file='$IMG/b.img'/><target dev='hdc'/><readonly/></disk>
<serial type='pty'><target port='0'/></serial>" >"$X/ok.xml"
sed -i "s|<os>|<memory unit='KiB'>524288</memory><vcpu>2</vcpu><os>|" "$X/ok.xml"

new_state
svt validate "$X/ok.xml"
expect_rc 0 && expect_eq "$ERR" "" "stderr" &&
  printf '%s' "$OUT" | "$PY" -c '
import sys, xml.etree.ElementTree as ET
r = ET.fromstring(sys.stdin.read())
assert r.tag == "domain" and r.get("type") == "kvm", r.tag
assert r.findtext("name") == "ok"
srcs = [s.get("file") for s in r.iter("source")]
assert srcs == [sys.argv[1] + "/a.img", sys.argv[1] + "/b.img"], srcs
assert r.find("devices/disk/readonly") is not None
' "$IMG"
result $? "valid domain: exit 0, its XML on stdout"

first=$OUT
printf '%s\n' "$first" >"$X/normalized.xml"
svt validate "$X/normalized.xml"
expect_rc 0 && expect_eq "$OUT" "$first" "validate of the normalized XML"
result $? "normalized XML is a fixed point"

expect_match "$first" "<memory unit=.KiB.>524288</memory>" "kept element" &&
  expect_match "$first" "<vcpu>2</vcpu>" "kept element" &&
  expect_match "$first" "<serial type=.pty.>" "kept element"
result $? "elements svirt does not model are kept"

! [[ "$first" =~ \<label\>|\<imagelabel\> ]] || { diag "inactive XML carries a label:" "$first"; false; }
result $? "dynamic seclabel: no label in the inactive XML"

expect_label "$IMG/a.img" "<none>" && expect_label "$IMG/b.img" "system_u:object_r:user_home_t:s0"
result $? "validate changes no label"

new_state
svt --json validate "$X/ok.xml"
expect_rc 0 && json_check 'd["name"] == "ok"'
result $? "validate --json: one JSON document"

n64=$(printf 'n%.0s' {1..64})
domain "$n64" "" >"$X/n64.xml"
new_state
svt validate "$X/n64.xml"
expect_rc 0 && expect_match "$OUT" "<name>$n64</name>" "name"
result $? "a 64-byte name is accepted"

# --- malformed and hostile XML ------------------------------------------------

printf "<domain type='kvm'>\n  <name>x</name>\n  <devices>\n</domain>\n" >"$X/malformed.xml"
refused "malformed XML: exit 1, one error line" "$X/malformed.xml"

printf "<domain type='kvm'><name>x</name></domain><domain/>" >"$X/two-roots.xml"
refused "two root elements refused" "$X/two-roots.xml"

: >"$X/empty.xml"
refused "empty document refused" "$X/empty.xml"

printf "<vm type='kvm'><name>x</name></vm>\n" >"$X/wrong-root.xml"
refused "root element other than <domain> refused" "$X/wrong-root.xml"

{
  echo '<?xml version="1.0"?>'
  echo '<!DOCTYPE domain ['
  echo '  <!ENTITY l0 "lollollollollollollollollollol">'
  for i in $(seq 1 12); do
    printf '  <!ENTITY l%d "' "$i"
    for _ in $(seq 10); do printf '&l%d;' $((i - 1)); done
    echo '">'
  done
  echo ']>'
  echo "<domain type='kvm'><name>&l12;</name></domain>"
} >"$X/laughs.xml"
new_state
t0=$(now_ms)
svt validate "$X/laughs.xml"
t1=$(now_ms)
expect_rc 1 && expect_one_error && expect_no_stdout &&
  { [ $((t1 - t0)) -lt 3000 ] || { diag "took $((t1 - t0)) ms"; false; }; }
result $? "billion laughs refused at once (under 3 s)"

cat >"$X/xxe.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE domain [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<domain type='kvm'><name>&xxe;</name></domain>
EOF
new_state
svt validate "$X/xxe.xml"
expect_rc 1 && expect_one_error && expect_no_stdout &&
  ! [[ "$ERR" =~ root: ]]
result $? "external entity refused, never fetched"

cat >"$X/pe.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE domain [ <!ENTITY % p SYSTEM "file:///etc/passwd"> %p; ]>
<domain type='kvm'><name>pe</name></domain>
EOF
refused "parameter entity refused" "$X/pe.xml"

cat >"$X/subset.xml" <<'EOF'
<!DOCTYPE domain [ <!ELEMENT domain ANY> ]>
<domain type='kvm'><name>subset</name></domain>
EOF
refused "DTD internal subset without entities refused" "$X/subset.xml"

printf "<domain type='kvm'><name>&undeclared;</name></domain>\n" >"$X/undeclared.xml"
refused "undeclared entity reference refused" "$X/undeclared.xml"

"$PY" -c 'import sys; sys.stdout.write("<domain type=\"kvm\"><name>big</name><description>" + "x" * (4 * 1024 * 1024 + 1) + "</description></domain>\n")' >"$X/big.xml"
refused "document over 4 MiB refused" "$X/big.xml"

# --- seclabel rules -----------------------------------------------------------

domain s1 "" "" "<seclabel type='static' model='selinux' relabel='no'/>" >"$X/static-nolabel.xml"
refused "static seclabel without <label> refused" "$X/static-nolabel.xml"

domain s2 "" "" "<seclabel type='dynamic' model='selinux' relabel='no'/>" >"$X/dyn-norelabel.xml"
refused "dynamic seclabel with relabel='no' refused" "$X/dyn-norelabel.xml"

domain s3 "" "" "<seclabel type='automatic' model='selinux'/>" >"$X/bad-type.xml"
refused "unknown seclabel type refused" "$X/bad-type.xml"

domain s4 "" "" "<seclabel type='dynamic' model='selinux' relabel='maybe'/>" >"$X/bad-relabel.xml"
refused "relabel value other than yes/no refused" "$X/bad-relabel.xml"

domain s5 "" "" "<seclabel type='static' model='selinux' relabel='no'><label>not a context</label></seclabel>" >"$X/bad-label.xml"
refused "static label that is not a context refused" "$X/bad-label.xml"

domain s6 "" "" "<seclabel type='dynamic' model='selinux'/><seclabel type='dynamic' model='selinux'/>" >"$X/dup-model.xml"
refused "two seclabels of one model refused" "$X/dup-model.xml"

domain s7 "" "" "<seclabel type='none' model='selinux' relabel='yes'/>" >"$X/none-relabel.xml"
refused "seclabel type none with relabel='yes' refused" "$X/none-relabel.xml"

domain s8 "<disk type='file' device='disk'><source file='$IMG/a.img'><seclabel model='selinux' relabel='no'><label>system_u:object_r:svirt_image_t:s0</label></seclabel></source><target dev='vda'/></disk>" >"$X/src-label-norelabel.xml"
refused "per-source <label> with relabel='no' refused" "$X/src-label-norelabel.xml"

# --- names --------------------------------------------------------------------

domain "" "" >"$X/name-empty.xml"
refused "empty name refused" "$X/name-empty.xml"

domain "${n64}x" "" >"$X/name-65.xml"
refused "65-byte name refused" "$X/name-65.xml" "64"

domain "web/../x" "" >"$X/name-slash.xml"
refused "name with '/' refused" "$X/name-slash.xml" "/"

domain "$(printf 'a\tb')" "" >"$X/name-tab.xml"
refused "name with a control character refused" "$X/name-tab.xml"

printf "<domain type='kvm'><devices/></domain>\n" >"$X/name-missing.xml"
refused "missing <name> refused" "$X/name-missing.xml"

# --- relative paths -----------------------------------------------------------

domain r1 "<disk type='file' device='disk'><source file='images/a.img'/><target dev='vda'/></disk>" >"$X/rel-disk.xml"
refused "relative disk path refused" "$X/rel-disk.xml" "images/a.img"

domain r2 "<disk type='file' device='disk'><source file='$IMG/a.img'/><backingStore type='file'><format type='raw'/><source file='base.raw'/></backingStore><target dev='vda'/></disk>" >"$X/rel-backing.xml"
refused "relative backing path refused" "$X/rel-backing.xml" "base.raw"

domain r3 "<disk type='block' device='disk'><source dev='dev/sdz'/><target dev='vda'/></disk>" >"$X/rel-block.xml"
refused "relative block device refused" "$X/rel-block.xml"

domain r4 "" "<kernel>boot/vmlinuz</kernel>" >"$X/rel-kernel.xml"
refused "relative kernel path refused" "$X/rel-kernel.xml"

domain r5 "" "<kernel>$IMG/a.img</kernel><initrd>initrd.img</initrd>" >"$X/rel-initrd.xml"
refused "relative initrd path refused" "$X/rel-initrd.xml"

domain r6 "" "<loader readonly='yes' type='pflash'>$IMG/b.img</loader><nvram>vars.fd</nvram>" >"$X/rel-nvram.xml"
refused "relative nvram path refused" "$X/rel-nvram.xml"

domain r7 "<serial type='file'><source path='log/serial.log'/><target port='0'/></serial>" >"$X/rel-chardev.xml"
refused "relative chardev path refused" "$X/rel-chardev.xml"

# --- refused input changes nothing -------------------------------------------

domain bad "<disk type='file' device='disk'><source file='$IMG/a.img'/><target dev='vda'/></disk>
<disk type='file' device='disk'><source file='$IMG/b.img'/><target dev='vdb'/></disk>
<disk type='file' device='disk'><source file='images/c.img'/><target dev='vdc'/></disk>" >"$X/bad-third.xml"
before=$(snapshot "$IMG/a.img" "$IMG/b.img")
new_state
svt prepare "$X/bad-third.xml"
expect_rc 1 && expect_one_error && expect_no_stdout &&
  expect_same_snapshot "$before" "$(snapshot "$IMG/a.img" "$IMG/b.img")"
result $? "prepare of an invalid domain: exit 1, no file labelled"

svt --json list
expect_rc 0 && json_check 'd["domains"] == []'
result $? "...and nothing recorded"

new_state
svt --json validate "$X/malformed.xml"
expect_rc 1 && expect_one_error && expect_json_error
result $? "validate --json of malformed XML: error document on stdout"

new_state
svt validate "$X/does-not-exist.xml"
{ [ "$RC" = 1 ] || [ "$RC" = 2 ]; } && expect_one_error && expect_no_stdout
result $? "missing file: an error, not a crash"
