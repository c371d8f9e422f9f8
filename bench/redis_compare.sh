#!/usr/bin/env bash
# Compares `cairn serve` with Redis 7 (Debian's redis-server) under redis-benchmark, on this
# machine, in one run: SET and GET, 50 clients, without pipelining (-P 1) and with 16
# pipelined requests per client (-P 16), against
#   cairn-durable   cairn serve (default: a reply after the fdatasync covering the write)
#   cairn-relaxed   cairn serve --durability relaxed (sync every second)
#   redis-always    redis-server --appendonly yes --appendfsync always
#   redis-everysec  redis-server --appendonly yes --appendfsync everysec
# Each server gets its own temporary directory (on $TMPDIR's file system: put it on the disk
# you care about). Runs are interleaved (every server once per repetition) and repeated
# REPEATS times; the table shows the median requests per second. Prints a markdown table.
#
# Usage: bench/redis_compare.sh [CAIRN_BINARY] (default build/cairn)
#   env: REQUESTS (default 100000), REPEATS (default 3), CLIENTS (default 50)
set -euo pipefail

cairn=${1:-build/cairn}
requests=${REQUESTS:-100000}
repeats=${REPEATS:-3}
clients=${CLIENTS:-50}
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
[ -x "$cairn" ] || { echo "no cairn binary at $cairn" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-redis-compare.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "server on port $1 did not start" >&2; exit 1
}

declare -A port
start_cairn() {  # name, extra flags...
  local name=$1; shift
  port[$name]=$(free_port)
  "$cairn" serve --db "$work/$name" --port "${port[$name]}" --log-level warning "$@" \
    2>"$work/$name.log" &
  pids+=($!)
  wait_ready "${port[$name]}"
}
start_redis() {  # name, appendfsync
  local name=$1
  port[$name]=$(free_port)
  mkdir -p "$work/$name"
  redis-server --port "${port[$name]}" --bind 127.0.0.1 --dir "$work/$name" --save "" \
    --appendonly yes --appendfsync "$2" --daemonize no --logfile "$work/$name.log" &
  pids+=($!)
  wait_ready "${port[$name]}"
}

start_cairn cairn-durable
start_cairn cairn-relaxed --durability relaxed
start_redis redis-always always
start_redis redis-everysec everysec
targets=(cairn-durable redis-always cairn-relaxed redis-everysec)

declare -A results  # "target test pipeline" -> space-separated rps values
for rep in $(seq "$repeats"); do
  for pipeline in 1 16; do
    for target in "${targets[@]}"; do
      out=$(redis-benchmark -p "${port[$target]}" -t set,get -c "$clients" -n "$requests" \
              -P "$pipeline" -r 1000000 --csv 2>/dev/null)
      while IFS=, read -r test rps _; do
        test=${test//\"/}; rps=${rps//\"/}
        [[ "$test" == SET || "$test" == GET ]] || continue
        results["$target $test $pipeline"]+="$rps "
      done <<<"$out"
      echo "rep $rep -P $pipeline $target done" >&2
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "| server | SET -P 1 | GET -P 1 | SET -P 16 | GET -P 16 |"
echo "|---|---:|---:|---:|---:|"
for target in "${targets[@]}"; do
  row="| $target"
  for cell in "SET 1" "GET 1" "SET 16" "GET 16"; do
    set -- $cell
    row+=" | $(echo "${results["$target $1 $2"]}" | median | awk '{printf "%d", $1}')"
  done
  echo "$row |"
done
echo
echo "requests/s, median of $repeats; redis-benchmark -t set,get -c $clients -n $requests -r 1000000; $(nproc) cores; $(uname -r); TMPDIR file system: $(df -T "$work" | awk 'NR==2 {print $2}')"
