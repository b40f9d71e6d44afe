#!/usr/bin/env bash
# Issue 14's measure of the suite's time: a fresh-clone `.ci/run` of REV without the test files of behaviour added
# after BASE (bench/tests_added_after_0483d93.txt), then of BASE itself, one after the other on the same machine.
# Prints a line a run: which, the revision, the exit code, the wall seconds and pytest's summary.
# usage: bench/suite_like_for_like.sh REV [BASE]   (BASE defaults to 0483d93; ../shared must sit beside the repo)
set -uo pipefail
REV=${1:?usage: bench/suite_like_for_like.sh REV [BASE]}
BASE=${2:-0483d93}
REPO=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$REPO/../shared" && pwd)
IGNORE=$(grep -v '^#' "$REPO/bench/tests_added_after_0483d93.txt" | sed 's/^/--ignore=/' | tr '\n' ' ')

run() {  # label revision pytest-options
  local dir start rc
  dir=$(mktemp -d)
  git clone -q "$REPO" "$dir/main" && git -C "$dir/main" checkout -q "$2" && ln -s "$SHARED" "$dir/shared"
  start=$(date +%s)
  (cd "$dir/main" && PYTEST_ADDOPTS="$3" bash .ci/run) > "$dir/out.txt" 2>&1
  rc=$?
  echo "$1 $2 rc=$rc seconds=$(( $(date +%s) - start )) $(grep -E '[0-9]+ (passed|failed)' "$dir/out.txt" | tail -1)"
}

run like-for-like "$REV" "$IGNORE"
run before "$BASE" ""
