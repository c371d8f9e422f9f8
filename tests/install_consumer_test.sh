#!/bin/bash
# Proves that an installed Cairn works for its users, both ways a user may consume it:
#   1. `cmake --install` of an already-built tree into a fresh temporary prefix installs the
#      library, exactly the public headers of include/cairn/, the cairn program, the CMake
#      package and the pkg-config file;
#   2. the stand-alone project tests/consumer (find_package(cairn REQUIRED), linking
#      cairn::cairn) configures against that prefix only, builds, and its program opens a
#      database, puts, gets and exits 0;
#   3. the same main.cc built with `g++ $(pkg-config --cflags --libs cairn)`, with
#      PKG_CONFIG_PATH pointing into the prefix, builds and runs too.
# The prefix is chosen at install time, so this also proves the package is relocatable.
#
# Usage: install_consumer_test.sh BUILD_DIR WORK_DIR [EXTRA_FLAGS]
#   BUILD_DIR: a configured and built Cairn tree (targets cairn and cairn_cli).
#   WORK_DIR: scratch directory; emptied first, kept afterwards for inspection.
#   EXTRA_FLAGS: compiler and linker flags the library needs from its users (sanitizers).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR WORK_DIR [EXTRA_FLAGS]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
work_dir=$2
extra_flags=${3:-}
source_dir=$(cd "$(dirname "$0")/.." && pwd)

step() { echo; echo "=== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

rm -rf "$work_dir"
mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)
prefix=$work_dir/prefix

step "install $build_dir into $prefix"
cmake --install "$build_dir" --prefix "$prefix" ||
  fail "cmake --install failed (are the cairn and cairn_cli targets built?)"

# GNUInstallDirs picks the library directory at configure time: lib, lib64, or on Debian
# with prefix /usr lib/<multiarch>. Find what was actually used instead of guessing.
pc_files=$(find "$prefix" -path '*/pkgconfig/cairn.pc')
config_files=$(find "$prefix" -path '*/cmake/cairn/cairnConfig.cmake')
[ "$(echo "$pc_files" | grep -c .)" = 1 ] || fail "expected one installed cairn.pc, found: '$pc_files'"
[ "$(echo "$config_files" | grep -c .)" = 1 ] ||
  fail "expected one installed cairnConfig.cmake, found: '$config_files'"
pc_dir=$(dirname "$pc_files")
lib_dir=$(dirname "$pc_dir")
echo "library directory: ${lib_dir#"$prefix"/}"
[ -f "$lib_dir/libcairn.a" ] || [ -f "$lib_dir/libcairn.so" ] || fail "no libcairn in $lib_dir"
[ -x "$prefix/bin/cairn" ] || fail "the cairn program is not installed in $prefix/bin"
"$prefix/bin/cairn" --help > /dev/null || fail "the installed cairn program does not run"

# Exactly the public headers: nothing from src/ may leak into the installed include tree.
installed_headers=$(cd "$prefix/include" && find . -type f | sed 's|^\./||' | sort)
public_headers=$(cd "$source_dir/include" && find . -type f | sed 's|^\./||' | sort)
if [ "$installed_headers" != "$public_headers" ]; then
  diff <(echo "$public_headers") <(echo "$installed_headers") >&2 || true
  fail "installed headers (right) differ from include/ in the source tree (left)"
fi

step "CMake consumer: find_package(cairn) + cairn::cairn"
consumer_build=$work_dir/consumer-build
CXXFLAGS="$extra_flags" LDFLAGS="$extra_flags" \
  cmake -S "$source_dir/tests/consumer" -B "$consumer_build" -DCMAKE_PREFIX_PATH="$prefix" ||
  fail "configuring tests/consumer against $prefix failed"
found_dir=$(sed -n 's/^cairn_DIR:PATH=//p' "$consumer_build/CMakeCache.txt")
[ "$found_dir" = "$(dirname "$config_files")" ] ||
  fail "find_package(cairn) used '$found_dir', not the package installed in $prefix"
cmake --build "$consumer_build" -j2 || fail "building tests/consumer against $prefix failed"
"$consumer_build/cairn_consumer" "$work_dir/db_cmake" ||
  fail "the find_package consumer program failed"

step "pkg-config consumer: PKG_CONFIG_PATH=$pc_dir"
PKG_CONFIG_PATH="$pc_dir" "$source_dir/tests/consumer/pkgconfig_check.sh" "$work_dir" \
  "$extra_flags" || fail "the pkg-config consumer failed"
includedir=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=includedir cairn)
[ "$(cd "$includedir" && pwd)" = "$prefix/include" ] ||
  fail "cairn.pc names includedir '$includedir', not $prefix/include"

echo
echo "install consumer test: PASSED (prefix $prefix)"
