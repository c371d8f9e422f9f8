#!/usr/bin/env bash
# Runs peer_bench's standard suite (or --quick) and writes its report into OUT_DIR (method:
# docs/benchmarks.md, "Peers"; a run worth keeping is copied to bench/results/DATE-COMMIT/).
#
#   bench/peer/run_peers.sh [--quick] PEER_BENCH SCRATCH_DIR OUT_DIR
#   SECTIONS="durable read" bench/peer/run_peers.sh ...    # only some sections
#
# SCRATCH_DIR must be on the disk being measured (wiped, then removed). OUT_DIR receives
# peers.txt (every line peer_bench printed), machine.txt, peers.md (the tables, from
# bench/peer/report.py) and the PNG plots. The standard suite repeats every measurement 3
# times with the engines interleaved (about 15-20 minutes on 2 cores); --quick runs once at
# small sizes (under 2 minutes). Before each section the script waits up to QUIET_WAIT seconds
# (default 0: do not wait) for the CPUs to be less than QUIET_BUSY=20% busy, and records how
# busy they were.
set -euo pipefail

quick=0
if [[ "${1:-}" == "--quick" ]]; then
  quick=1
  shift
fi
if [[ $# -ne 3 ]]; then
  echo "usage: $0 [--quick] PEER_BENCH SCRATCH_DIR OUT_DIR" >&2
  exit 2
fi
bench=$(realpath "$1")
scratch=$2
out=$3
here=$(dirname "$(realpath "$0")")
mkdir -p "$scratch" "$out"
results="$out/peers.txt"
: >"$results"

if [[ $quick -eq 1 ]]; then
  SIZES=(--repeat 1 --num 50000 --reads 50000 --durable-ops 200 --recovery-mb 16
         --load-mb 8 --fill-buffer-bytes 2097152 --before-s 1)
else
  SIZES=(--repeat 3 --num 200000 --reads 200000 --durable-ops 600 --recovery-mb 64
         --load-mb 32 --fill-buffer-bytes 8388608 --before-s 2)
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if commit=$(git -C "$here/../.." rev-parse --short HEAD 2>/dev/null); then
    git -C "$here/../.." diff --quiet HEAD -- src include bench || commit="$commit + uncommitted changes"
  else
    commit=$(cat "$here/../../COMMIT" 2>/dev/null || echo unknown)
  fi
  echo "commit: $commit"
  echo "command: $0 $([[ $quick -eq 1 ]] && echo --quick) ${SIZES[*]}"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "kernel: $(uname -r)"
  echo "filesystem: $(df -hT "$scratch" | awk 'NR==2 {print $1, $2, $3}')," \
       "mount $(findmnt -no OPTIONS --target "$scratch" 2>/dev/null || true)"
  echo "compiler: $(c++ --version | head -1)"
} >"$out/machine.txt"
cat "$out/machine.txt"

cpu_busy() {
  local a b
  a=($(head -1 /proc/stat))
  sleep 1
  b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total == 0 ? 0 : 100 * (total - idle) / total ))
}
QUIET_WAIT=${QUIET_WAIT:-0}
QUIET_BUSY=${QUIET_BUSY:-20}
wait_quiet() {
  local waited=0 busy
  busy=$(cpu_busy)
  while (( busy > QUIET_BUSY && waited < QUIET_WAIT )); do
    sleep 4
    waited=$(( waited + 5 ))
    busy=$(cpu_busy)
  done
  echo "# cpu busy before $1: ${busy}% (waited ${waited}s); load $(cut -d' ' -f1-3 /proc/loadavg)"
}

SECTIONS=${SECTIONS:-physical durable fill read recovery stall}
d="$scratch/data"
for section in $SECTIONS; do
  start=$(date +%s)
  wait_quiet "$section" | tee -a "$results"
  extra=()
  [[ $section == stall ]] && extra=(--csv-prefix "$out/stall")
  "$bench" "$section" --dir "$d" "${SIZES[@]}" "${extra[@]}" | tee -a "$results"
  echo "# section $section took $(( $(date +%s) - start )) s" | tee -a "$results"
done
rm -rf "$scratch"
python3 "$here/report.py" "$out" >/dev/null
echo "report: $out/peers.md"
