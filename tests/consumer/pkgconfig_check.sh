#!/bin/sh
# Proves that an installed Cairn can be used through pkg-config alone: compiles
# tests/consumer/main.cc with `g++ $(pkg-config --cflags --libs cairn)` (nothing else on the
# command line names Cairn) and runs it; the program opens a database, puts, gets and checks.
#
# Usage: pkgconfig_check.sh WORK_DIR [EXTRA_FLAGS]
#   PKG_CONFIG_PATH must lead to the installed cairn.pc. The program is built as
#   WORK_DIR/consumer_pkgconfig and its database lives in WORK_DIR/db_pkgconfig.
#   EXTRA_FLAGS (optional) are passed to g++ too, e.g. sanitizer flags matching the library.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 WORK_DIR [EXTRA_FLAGS]" >&2
  exit 2
fi
work_dir=$1
extra_flags=${2:-}
here=$(cd "$(dirname "$0")" && pwd)

if ! pkg-config --exists cairn; then
  echo "FAILED: pkg-config cannot find cairn (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})" >&2
  exit 1
fi
cflags=$(pkg-config --cflags cairn)
libs=$(pkg-config --libs cairn)
echo "pkg-config: cflags: $cflags"
echo "pkg-config: libs:   $libs"

mkdir -p "$work_dir"
binary=$work_dir/consumer_pkgconfig
# Word splitting of the pkg-config output is intended. Libraries come after the source so a
# static libcairn.a is linked correctly.
# shellcheck disable=SC2086
if ! g++ $extra_flags $cflags "$here/main.cc" -o "$binary" $libs; then
  echo "FAILED: g++ could not build main.cc with the flags from pkg-config (above)" >&2
  exit 1
fi
rm -rf "$work_dir/db_pkgconfig"
if ! "$binary" "$work_dir/db_pkgconfig"; then
  echo "FAILED: the program built with pkg-config flags did not run successfully" >&2
  exit 1
fi
echo "pkg-config consumer: OK"
