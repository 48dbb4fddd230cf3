#!/usr/bin/env bash
# Runs every libFuzzer target of build-asan/fuzz (scripts/sanitize.sh --build makes them) for a
# given time each, from the committed seed corpus (tests/fuzz/corpus/<target>/) plus what earlier
# runs found (build-asan/fuzz-corpus/<target>/, not committed). Prints each target's executions;
# a crash, leak, sanitizer report or timeout fails the run and leaves the input in
# build-asan/fuzz-artifacts/. The random seed is FUZZ_SEED, 1 unless set, so that a run (CI's
# included) can be repeated; FUZZ_SEED=0 lets libFuzzer pick one.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=20] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
seed="${FUZZ_SEED:-1}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=($(sed -n 's/^ec_fuzzer(\([a-z_]*\) .*/\1/p' tests/fuzz/CMakeLists.txt))
fi
mkdir -p build-asan/fuzz-artifacts
failed=0
for target in "${targets[@]}"; do
  [[ -n "$target" ]] || continue
  binary="build-asan/fuzz/$target"
  [[ -x "$binary" ]] || { echo "fuzz: $binary not built (scripts/sanitize.sh --build)" >&2; exit 1; }
  found="build-asan/fuzz-corpus/$target"
  mkdir -p "$found"
  log="build-asan/fuzz-artifacts/$target.log"
  if ASAN_OPTIONS=detect_leaks=1 "$binary" -max_total_time="$seconds" -seed="$seed" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="build-asan/fuzz-artifacts/$target-" \
      "$found" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $target: ${runs:-?} executions in ${seconds}s, no finding"
  else
    echo "fuzz: $target FAILED (seed $seed); its log: $log" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|^$target: |^  (fused|stepwise): " "$log" | head -20 >&2 ||
      true
    failed=1
  fi
done
exit "$failed"
