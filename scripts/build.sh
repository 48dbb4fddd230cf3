#!/usr/bin/env bash
# Configures and builds EventCluster with Ninja into build/ (binaries in build/bin/). Compiles
# through ccache when it is installed (setup.sh installs it), so a rebuild of a fresh clone only
# compiles what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"  # paths relative to the clone: clones share hits
  # With -g ccache hashes the working directory too, so no two clones would share a hit; the
  # price is debug info naming the directory of the clone that compiled an object first.
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  "${launcher[@]}" >/dev/null
ninja -C build -j"${EC_BUILD_JOBS:-2}"
