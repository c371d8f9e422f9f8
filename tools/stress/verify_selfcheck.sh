#!/usr/bin/env bash
# Proves that cairn-stress's verification fails when the database disagrees with the oracle:
# after a short clean run, the database is changed behind the oracle's back with the `cairn`
# command line, and `cairn-stress --verify-only` must exit 1 naming the damaged key, for
#   1. a key cairn-stress never writes,
#   2. an acknowledged value replaced by another,
#   3. an acknowledged key deleted (a lost write),
#   4. a torn batch: --self-test-torn-batch writes one key of a batch alone and kills itself.
# A clean database must verify (exit 0) first, so the checker is not simply always failing.
# Usage: verify_selfcheck.sh CAIRN_STRESS CAIRN WORKDIR
set -uo pipefail
stress=$1
cairn=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
failed=0

# A database of 200 keys after a short seeded run; prints one key the run left present.
prepare() {
  local db=$1
  "$stress" --db "$db" --keys 200 --threads 2 --ops-per-thread 400 --seed 7 >"$db.out" 2>&1 ||
    { echo "FAIL: the clean run failed:"; cat "$db.out"; exit 1; }
  "$stress" --db "$db" --keys 200 --verify-only >"$db.out" 2>&1 ||
    { echo "FAIL: a clean database did not verify:"; cat "$db.out"; exit 1; }
  "$cairn" dump --db "$db" | head -1 | cut -f1
}

expect_failure() {
  local name=$1 db=$2 pattern=$3
  "$stress" --db "$db" --keys 200 --verify-only >"$db.out" 2>&1
  local rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q -- "$pattern" "$db.out"; then
    echo "FAIL: $name: verify-only exit $rc, expected 1 with '$pattern':"
    cat "$db.out"
    failed=1
  else
    echo "ok: $name detected"
  fi
}

db="$work/foreign"
prepare "$db" >/dev/null
"$cairn" put --db "$db" zzz-foreign value >/dev/null
expect_failure "foreign key" "$db" "'zzz-foreign' was never written by cairn-stress"

db="$work/replaced"
key=$(prepare "$db")
"$cairn" put --db "$db" "$key" "$key@v999999#bogus" >/dev/null
expect_failure "replaced value" "$db" "$key: found v999999 (with a damaged filler)"

db="$work/lost"
key=$(prepare "$db")
"$cairn" del --db "$db" "$key" >/dev/null
expect_failure "lost acknowledged write" "$db" "$key: found absent, expected acknowledged v"

db="$work/torn"
prepare "$db" >/dev/null
"$stress" --db "$db" --keys 200 --threads 1 --ops-per-thread 400 --seed 8 \
  --self-test-torn-batch >"$db.out" 2>&1 &
wait $! 2>/dev/null
grep -q "self-test: wrote" "$db.out" || { echo "FAIL: the torn batch was not written:"; cat "$db.out"; failed=1; }
expect_failure "torn batch" "$db" "not atomic: old state at"

exit $failed
