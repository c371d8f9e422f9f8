#!/usr/bin/env bash
# Checks that the C++ files changed recently are clang-formatted (.clang-format), without
# rewriting anything: `clang-format --dry-run --Werror` over each of them.
#
# "Changed recently" means: changed between the newest commit made at least one day before
# HEAD's commit date and the working tree (so uncommitted edits count too). Measuring from
# HEAD's own date, not today's, keeps the answer the same for a given HEAD whenever and
# wherever it runs (CI on a fresh clone judges the submitted main). Only changed files are
# checked, because older code predates the check and is reformatted when it is next edited.
# With no commit a day older than HEAD (a young or shallow history) the base is HEAD's parent.
#
# Usage: scripts/check-format.sh [BASE]   (BASE: any commit to compare with instead)
# Exits 1 naming the files to run `clang-format -i` on.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ge 1 ]; then
  base=$1
else
  head_time=$(git show -s --format=%ct HEAD)
  base=$(git rev-list -1 --first-parent --before="$((head_time - 86400))" HEAD || true)
  if [ -z "$base" ]; then
    base=$(git rev-parse -q --verify HEAD~1 || true)
  fi
fi
if [ -z "$base" ]; then
  echo "check-format: no commit to compare with; nothing checked"
  exit 0
fi

mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' '*.h')
if [ ${#files[@]} -eq 0 ]; then
  echo "check-format: no C++ file changed since $(git rev-parse --short "$base")"
  exit 0
fi
echo "check-format: ${#files[@]} C++ files changed since $(git rev-parse --short "$base")"
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check-format: not clang-formatted (run clang-format -i on them):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: all clang-formatted"
