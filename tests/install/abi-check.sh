#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The dynamic symbols of libsvirt.so are the public API and nothing else.
#
# usage: abi-check.sh LIBSVIRT_SO ABI_FILE
#        abi-check.sh --print LIBSVIRT_SO   (the list to commit as ABI_FILE)
#
# Exported symbols fall in three groups:
#  - API: C entry points (svirt_*), out-of-line svirt:: functions, and the
#    vtables/typeinfo of svirt:: classes. Compared with ABI_FILE exactly.
#  - inline svirt:: members the compiler emitted out of line (weak): every
#    consumer compiles its own copy, their presence depends on the optimizer,
#    so they are no ABI promise and are not compared.
#  - everything else (std:: and __gnu_cxx:: template instantiations,
#    svirt::internal::, SecurityManager::Impl): leaks of implementation
#    details. Any of them fails the check.
set -eu

classify() {
  # "TYPE NAME" lines from nm (symbol versions stripped); prints "api NAME",
  # "inline NAME" or "leak NAME".
  nm -D --defined-only -C "$1" | cut -d' ' -f2- | awk '
    { type = $1; sub(/^[^ ]+ /, ""); sub(/@@?[A-Za-z0-9_.]+$/, ""); name = $0 }
    type == "A" { next }  # version node names of the version script
    name ~ /svirt::internal::|^svirt::SecurityManager::Impl::/ { print "leak " name; next }
    name ~ /^svirt_[a-z_]+$/ { print "api " name; next }
    name ~ /^(typeinfo|typeinfo name|vtable) for svirt::/ { print "api " name; next }
    name ~ /^svirt::/ && type !~ /^[WVu]$/ { print "api " name; next }
    name ~ /^svirt::/ { print "inline " name; next }
    { print "leak " name }' | LC_ALL=C sort -u
}

if [ "${1:-}" = --print ]; then
  classify "${2:?usage: abi-check.sh --print LIBSVIRT_SO}" | sed -n 's/^api //p'
  exit 0
fi

lib=${1:?usage: abi-check.sh LIBSVIRT_SO ABI_FILE}
abi=${2:?usage: abi-check.sh LIBSVIRT_SO ABI_FILE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svirt-abi-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

classify "$lib" >"$tmp/all"
sed -n 's/^api //p' "$tmp/all" >"$tmp/api"
sed -n 's/^leak //p' "$tmp/all" >"$tmp/leaks"
status=0

if ! diff -u "$abi" "$tmp/api" >"$tmp/diff"; then
  echo "ABI changed: the symbols libsvirt.so exports differ from $abi" >&2
  echo "(- no longer exported, + newly exported):" >&2
  sed -n '3,$p' "$tmp/diff" | grep '^[-+]' >&2 || true
  echo "If this is intended, update abi/libsvirt.symbols on purpose:" >&2
  echo "  tests/install/abi-check.sh --print $lib > abi/libsvirt.symbols" >&2
  echo "and bump the soname when a symbol went away or changed." >&2
  status=1
fi

if [ -s "$tmp/leaks" ]; then
  echo "libsvirt.so exports $(wc -l <"$tmp/leaks") symbols outside the public API" >&2
  echo "(template instantiations or internals; hide them with the version script):" >&2
  sed 's/^/  /' "$tmp/leaks" | cut -c1-200 >&2
  status=1
fi

[ "$status" -ne 0 ] || echo "abi-check: $(wc -l <"$tmp/api") API symbols, none unexpected"
exit "$status"
