#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Stages `meson install` into a temporary destdir, checks that what a
# distribution package would ship is there, then builds a C++ and a C
# consumer from the staged files alone (pkg-config, headers, library) and
# runs them.
#
# usage: install-test.sh BUILD_DIR
set -eu

build=${1:?usage: install-test.sh BUILD_DIR}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svirt-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

fail() { echo "install-test: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install failed"; }

prefix=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
libdir=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
root=$dest$prefix
lib=$dest$libdir

# What a package ships.
[ -f "$lib/libsvirt.so.1.0.0" ] || [ -n "$(ls "$lib"/libsvirt.so.1.* 2>/dev/null)" ] ||
  fail "no versioned library under $libdir"
[ -L "$lib/libsvirt.so.1" ] || fail "no libsvirt.so.1 link under $libdir"
[ -L "$lib/libsvirt.so" ] || fail "no libsvirt.so development link under $libdir"
soname=$(objdump -p "$lib/libsvirt.so.1" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libsvirt.so.1 ] || fail "soname is '$soname', expected libsvirt.so.1"
for h in manager.h domain.h result.h export.h svirt.h; do
  [ -f "$root/include/svirt/$h" ] || fail "header include/svirt/$h not installed"
done
[ -f "$lib/pkgconfig/svirt.pc" ] || fail "svirt.pc not installed under $libdir/pkgconfig"
[ -x "$root/bin/svirt" ] || fail "bin/svirt not installed"
[ -f "$root/share/man/man1/svirt.1" ] || fail "man page share/man/man1/svirt.1 not installed"

# Consumers see only the staged tree: the .pc file names the real prefix, the
# sysroot variable maps it into the destdir.
export PKG_CONFIG_PATH="$lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs svirt) || fail "pkg-config cannot resolve svirt"

cxx=${CXX:-c++}
cc=${CC:-cc}
# shellcheck disable=SC2086  # pkg-config output is a word list
$cxx -std=c++20 -Wall -Werror -o "$tmp/consumer-cxx" "$src/consumer.cc" $flags ||
  fail "C++ consumer does not build against the installed files"
# shellcheck disable=SC2086
$cc -std=c99 -Wall -Werror -pedantic -o "$tmp/consumer-c" "$src/consumer.c" $flags ||
  fail "C consumer does not build against the installed files"

for prog in consumer-cxx consumer-c; do
  out=$(LD_LIBRARY_PATH="$lib" "$tmp/$prog" "$tmp/state-$prog") || fail "$prog failed: $out"
  [ "$out" = "model=none doi=0" ] || fail "$prog printed '$out', expected 'model=none doi=0'"
  # It must have loaded the staged library, not one from the build tree.
  LD_LIBRARY_PATH="$lib" ldd "$tmp/$prog" | grep -q "$lib/libsvirt.so.1" ||
    fail "$prog does not resolve libsvirt.so.1 from the staged tree"
done
# The example management stack builds from its Makefile against the staged
# files alone, and runs: a real qemu guest when qemu is installed.
top=$(cd "$src/../.." && pwd)
make -s -C "$top/examples/mini-dom0" O="$tmp" CXX="$cxx" CXXFLAGS="-O1 -Wall -Werror" >"$tmp/make.log" 2>&1 ||
  { cat "$tmp/make.log" >&2; fail "examples/mini-dom0 does not build against the installed files"; }
LD_LIBRARY_PATH="$lib" ldd "$tmp/mini-dom0" | grep -q "$lib/libsvirt.so.1" ||
  fail "mini-dom0 does not resolve libsvirt.so.1 from the staged tree"
if command -v qemu-system-x86_64 >/dev/null; then
  mkdir -p "$tmp/dom0/xml" "$tmp/dom0/img"
  sed -e "s#/var/lib/libvirt/images/dom0-tools.img#$tmp/dom0/img/tools.img#" \
    -e "s#/var/lib/libvirt/images#$tmp/dom0/img#; s#/var/lib/libvirt/qemu#$tmp/dom0#" \
    "$top/examples/mini-dom0/domains/web.xml" >"$tmp/dom0/xml/web.xml"
  out=$(LD_LIBRARY_PATH="$lib" "$tmp/mini-dom0" --driver none --state-dir "$tmp/dom0/state" \
    "$tmp/dom0/xml" 2>&1) || fail "installed mini-dom0 failed: $out"
  printf '%s\n' "$out" | grep -q '^web: serial hello from web' ||
    fail "installed mini-dom0's guest did not run: $out"
fi
# The Python binding is installed and drives the staged library.
pymod=$(find "$root" -name svirt.py -path '*-packages/*' | head -n 1)
[ -n "$pymod" ] || fail "Python binding svirt.py not installed"
out=$(PYTHONPATH=$(dirname "$pymod") SVIRT_LIBRARY="$lib/libsvirt.so.1" python3 -c '
import sys, svirt
m = svirt.Manager(driver="none", state_dir=sys.argv[1]).model()
print("model=%s doi=%s" % (m["model"], m["doi"]))' "$tmp/state-python") ||
  fail "installed Python binding failed: $out"
[ "$out" = "model=none doi=0" ] || fail "installed Python binding printed '$out'"
echo "install-test: ok ($prefix, $libdir)"
