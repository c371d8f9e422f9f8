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
  clang             # fuzzing: libFuzzer targets in fuzz/ (make fuzz, .ci/run)
  libclang-rt-14-dev  # fuzzing: libFuzzer and the sanitizer runtimes for clang 14
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
