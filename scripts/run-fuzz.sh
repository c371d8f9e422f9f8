#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each one for FUZZ_SECONDS seconds
# (docs/fuzzing.md). Used by `make fuzz` and by .ci/run.
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_BUILD_DIR the clang build directory (default build-fuzz)
#   FUZZ_TARGETS   space-separated names to run (default: every fuzz/<name>_fuzz.cc)
#   FUZZ_ARGS      extra libFuzzer flags for every target (e.g. "-jobs=2 -workers=2")
#
# Each target starts from its checked-in corpus fuzz/corpus/<name>/ (and fuzz/<name>.dict if
# present) and writes what it learns into a scratch copy, $FUZZ_BUILD_DIR/fuzz-work/<name>/,
# so the repository is never modified. A crash leaves its input there as crash-* (or
# leak-*, timeout-*, oom-*); the script then prints how to replay it and exits non-zero.
# Prints executions and coverage per target and the total.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
# A single input that runs longer than this is reported as a hang (libFuzzer -timeout).
PER_INPUT_TIMEOUT_SECONDS=10
# Memory per fuzzing process; far above what any target needs on inputs of a few KiB.
RSS_LIMIT_MB=2048

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON \
  -DCAIRN_BUILD_TESTS=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$BUILD_DIR" --target fuzz_targets -j"${JOBS:-2}"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  targets=($FUZZ_TARGETS)
else
  targets=()
  for source in fuzz/*_fuzz.cc; do
    name=$(basename "$source" _fuzz.cc)
    targets+=("$name")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_execs=0
failed=()
summary=()
for name in "${targets[@]}"; do
  binary="$BUILD_DIR/fuzz/${name}_fuzz"
  work="$BUILD_DIR/fuzz-work/$name"
  mkdir -p "$work/corpus"
  if [ -d "fuzz/corpus/$name" ]; then
    cp -n "fuzz/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
  fi
  dict=()
  if [ -f "fuzz/$name.dict" ]; then
    dict=(-dict="fuzz/$name.dict")
  fi
  echo "=== fuzz $name: ${FUZZ_SECONDS}s, corpus $(ls "$work/corpus" | wc -l) files"
  status=0
  # shellcheck disable=SC2086
  "$binary" "$work/corpus" -max_total_time="$FUZZ_SECONDS" -timeout="$PER_INPUT_TIMEOUT_SECONDS" \
    -rss_limit_mb="$RSS_LIMIT_MB" -print_final_stats=1 -artifact_prefix="$work/" \
    "${dict[@]}" ${FUZZ_ARGS:-} >"$work/log" 2>&1 || status=$?
  execs=$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" || true) | awk '{s += $2} END {print s + 0}')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/log" | tail -1 || true)
  total_execs=$((total_execs + execs))
  line=$(printf '%-10s %12s executions  %s  exit %s' "$name" "$execs" "${cov:-cov: ?}" "$status")
  summary+=("$line")
  echo "$line"
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    grep -E 'ERROR|INVARIANT|SUMMARY|Test unit written' "$work/log" | head -20 || true
    echo "log: $work/log"
    echo "replay: $binary <the crash-* file above>   (CAIRN_FUZZ_VERBOSE=1 shows statuses)"
  fi
done

echo "=== fuzz summary (${FUZZ_SECONDS}s per target)"
printf '%s\n' "${summary[@]}"
echo "total: $total_execs executions"
if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
