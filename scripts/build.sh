#!/usr/bin/env bash
# Configures and builds EventCluster with Ninja into build/ (binaries in build/bin/).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
ninja -C build -j"${EC_BUILD_JOBS:-2}"
