#!/usr/bin/env bash
# Builds the unit tests and the libFuzzer targets with clang-14, ASan and UBSan into build-asan/
# (-DEC_FUZZ=ON) and runs the unit tests there; every report fails the run.
#   scripts/sanitize.sh            build, then run the unit tests
#   scripts/sanitize.sh --build    build only (scripts/fuzz.sh runs the fuzzers)
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
fi
CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEC_FUZZ=ON \
  "${launcher[@]}" >/dev/null
targets=(runtime_tests operators_tests connectors_tests jobmanager_tests taskmanager_tests
         client_tests)
targets+=($(sed -n 's/^ec_fuzzer(\([a-z_]*\) .*/\1/p' tests/fuzz/CMakeLists.txt))
ninja -C build-asan -j"${EC_BUILD_JOBS:-2}" "${targets[@]}"
[[ "${1:-}" == --build ]] && exit 0
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build-asan -L unit -E '^layering$' --output-on-failure -j2 --timeout 600
