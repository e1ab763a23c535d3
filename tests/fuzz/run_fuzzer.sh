#!/usr/bin/env bash
# Runs one fuzzer for a bounded time on a scratch copy of its seed corpus, so the corpus in the
# repository never changes; libFuzzer exits non-zero on a crash, leak, sanitizer report,
# timeout or out-of-memory, and the reproducer is left in the scratch folder.
# Usage: run_fuzzer.sh FUZZER CORPUS SCRATCH SECONDS RSS_MB MAX_LEN [DICT]
set -euo pipefail
fuzzer=$1 corpus=$2 scratch=$3 seconds=$4 rss_mb=$5 max_len=$6 dict=${7:-}
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  echo "run_fuzzer: the seed corpus $corpus is missing or empty" >&2
  exit 1
fi
rm -rf "$scratch"
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp "$corpus"/* "$scratch/corpus/"
options=(-max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len="$max_len" -timeout=10
         -print_final_stats=1 -artifact_prefix="$scratch/artifacts/")
if [ -n "$dict" ]; then
  options+=(-dict="$dict")
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "run_fuzzer: $(basename "$fuzzer") for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
status=0
"$fuzzer" "${options[@]}" "$scratch/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run_fuzzer: $(basename "$fuzzer") failed (exit $status); reproducers:" >&2
  ls -l "$scratch/artifacts" >&2
  exit "$status"
fi
