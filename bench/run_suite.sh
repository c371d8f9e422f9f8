#!/usr/bin/env bash
# Runs the cairn_bench measurements described in docs/benchmarks.md and keeps their raw output
# (a run worth keeping is copied to bench/results/DATE-COMMIT/).
#
#   bench/run_suite.sh [--quick] BENCH_BINARY SCRATCH_DIR OUT_DIR
#   SECTIONS="flush fill" bench/run_suite.sh ...      # only some sections
#
# SCRATCH_DIR must be on the disk being measured (it is wiped, then removed); OUT_DIR receives
# results.txt (every key=value line), machine.txt and, with gnuplot, the latency plots.
# Each measurement is repeated (5 times, 3 for the long ones) and summarised by its median;
# --quick runs each once with smaller sizes, to check that everything works (about a minute).
# Before each measurement the script waits (up to QUIET_WAIT=600 s) until the CPUs are less
# than QUIET_BUSY=20% busy, and records how busy they were: on a shared machine a neighbour's
# compile turns every fdatasync wake-up into a 4 ms scheduler tick.
# Dropping the page cache for the cold reopen needs root; without it only warm opens run.
set -euo pipefail

quick=0
if [[ "${1:-}" == "--quick" ]]; then
  quick=1
  shift
fi
if [[ $# -ne 3 ]]; then
  echo "usage: $0 [--quick] BENCH_BINARY SCRATCH_DIR OUT_DIR" >&2
  exit 2
fi
bench=$(realpath "$1")
scratch=$2
out=$3
here=$(dirname "$(realpath "$0")")
mkdir -p "$scratch" "$out"
results="$out/results.txt"
: >"$results"

if [[ $quick -eq 1 ]]; then
  QUIET_WAIT=0
  R=1 RL=1 OPS=300 TOPS=100 CAP=32 MT=8 FILLMT=2 FL=2 BIGFILL=0
else
  R=5 RL=3 OPS=2000 TOPS=1000 CAP=256 MT=64 FILLMT=8 FL=3 BIGFILL=1
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # A git checkout, or a source snapshot (git archive) with its commit in a COMMIT file.
  if commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null); then
    git -C "$here/.." diff --quiet HEAD -- src include || commit="$commit + uncommitted engine changes"
  else
    commit=$(cat "$here/../COMMIT" 2>/dev/null || echo unknown)
  fi
  echo "commit: $commit"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cores: $(nproc)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "kernel: $(uname -r)"
  echo "filesystem: $(df -hT "$scratch" | awk 'NR==2 {print $1, $2, $3}')"
  echo "mount: $(findmnt -no OPTIONS --target "$scratch" 2>/dev/null || true)"
  dev=$(basename "$(df "$scratch" | awk 'NR==2 {print $1}')")
  if [[ -e /sys/block/$dev/queue/rotational ]]; then
    echo "device: /dev/$dev rotational=$(cat /sys/block/$dev/queue/rotational)" \
      "scheduler=$(cat /sys/block/$dev/queue/scheduler)"
  fi
} >"$out/machine.txt"
cat "$out/machine.txt"

# Percent of all CPUs busy over two seconds (from /proc/stat).
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat))
  sleep 2
  b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total == 0 ? 0 : 100 * (total - idle) / total ))
}

# On a shared machine, wait (up to QUIET_WAIT seconds) until other work leaves the CPUs
# mostly idle, and record how busy they were when the measurement started.
QUIET_WAIT=${QUIET_WAIT:-600}
QUIET_BUSY=${QUIET_BUSY:-20}
wait_quiet() {
  local waited=0 busy
  busy=$(cpu_busy)
  while (( busy > QUIET_BUSY && waited < QUIET_WAIT )); do
    sleep 8
    waited=$(( waited + 10 ))
    busy=$(cpu_busy)
  done
  echo "# cpu busy before the run: ${busy}% (waited ${waited}s); $(cut -d' ' -f1-3 /proc/loadavg) load"
}

run() {
  echo "\$ cairn_bench $*" | tee -a "$results"
  wait_quiet | tee -a "$results"
  "$bench" "$@" | tee -a "$results"
}

# SECTIONS picks what to run (default all): write reopen flush fill.
SECTIONS=${SECTIONS:-write reopen flush fill}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

d="$scratch/data"
if want write; then
  # Issue 2: durable put vs the raw loop, 16-thread throughput with commits per fsync.
  run put --dir "$d" --ops "$OPS" --repeat "$R"
  for t in 1 4 16 64; do
    run threads --dir "$d" --threads "$t" --ops "$TOPS" --raw --repeat "$R"
  done
  run threads --dir "$d" --threads 16 --ops $((TOPS * 10)) --sync false --repeat "$R"
fi
if want reopen; then
  # WAL replay at the cap after a crash: big batches (16 x 1000-byte values), single puts.
  run reopen --dir "$d" --wal-cap-mb "$CAP" --repeat "$R"
  run reopen --dir "$d" --wal-cap-mb "$CAP" --value-size 100 --batch 1 --repeat "$RL"
fi
if want flush; then
  # Issue 3: writer latency during the flush of a full MemTable.
  run flushlat --dir "$d" --memtable-mb "$MT" --flushes "$FL" --repeat "$R"
  run flushlat --dir "$d" --memtable-mb "$MT" --flushes "$FL" --rate 100000 --repeat "$RL" \
    --csv "$out/flushlat-nosync.csv"
  run flushlat --dir "$d" --memtable-mb "$MT" --flushes 2 --threads 16 --sync true \
    --repeat "$RL" --csv "$out/flushlat-sync16.csv"
  run flushlat --dir "$d" --memtable-mb "$MT" --flushes 2 --attribute
  run flushlat --dir "$d" --memtable-mb "$MT" --flushes 2 --threads 16 --sync true --attribute
  if command -v gnuplot >/dev/null; then
    gnuplot -e "csv='$out/flushlat-nosync.csv'; png='$out/flushlat-nosync.png'; \
      title='1 writer, sync=false, 100k puts/s, ${MT} MiB MemTable'" "$here/plot_flushlat.gp"
    gnuplot -e "csv='$out/flushlat-sync16.csv'; png='$out/flushlat-sync16.png'; \
      title='16 writers, sync=true, ${MT} MiB MemTable'" "$here/plot_flushlat.gp"
  else
    echo "gnuplot not installed: no plots" | tee -a "$results"
  fi
fi
if want fill; then
  # Issue 3: write amplification after a random fill of 10 MemTables.
  run fillrandom --dir "$d" --memtable-mb "$FILLMT" --memtables 10 --repeat "$R"
  if [[ $BIGFILL -eq 1 ]]; then
    run fillrandom --dir "$d" --memtable-mb 64 --memtables 10 --repeat "$RL" --settle-timeout 120
  fi
fi
rm -rf "$scratch"
