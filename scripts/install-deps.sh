#!/usr/bin/env bash
# Installs the Debian 12 packages Cairn needs to build and test. Idempotent: when every
# package is already present it only runs dpkg-query and exits, without touching apt.
set -euo pipefail

packages=(
  build-essential   # g++ 12, make
  cmake             # 3.25
  pkg-config        # the pkg-config consumer test
  libgtest-dev      # unit tests
  libgmock-dev
  libcli11-dev      # the cairn command line
  liblz4-dev        # segment block compression
  libzstd-dev
  python3           # the process crash test driver
  clang             # fuzzing (make fuzz, .ci/run); the -Wthread-safety compile in .ci/run
  clang-format      # .ci/run: scripts/check-format.sh over recently changed C++ files
  libclang-rt-14-dev  # fuzzing: libFuzzer and the sanitizer runtimes for clang 14
  # --- cairn serve (docs/server.md) ---
  redis-tools       # redis-cli and redis-benchmark: server tests and bench/redis_compare.sh
  redis-server      # the peer in bench/redis_compare.sh
  libhiredis-dev    # tests/server/hiredis_client_test.cc
  # peer_bench (bench/peer/): the peers Cairn is measured against, and the plots
  librocksdb-dev    # RocksDB peer
  libleveldb-dev    # LevelDB peer
  liblmdb-dev       # LMDB peer
  libsqlite3-dev    # SQLite peer (WAL mode)
  libwiredtiger-dev # WiredTiger peer
  gnuplot-nox       # PNG plots of the benchmark report
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
