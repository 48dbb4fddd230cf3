#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test (unit and integration; the integration tests
# start their own Kafka broker and cluster processes), the unit tests under ASan + UBSan, and the
# fuzz targets for 20 s each. Fast ones only: ctest --test-dir build -LE integration
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 2400
# The unit tests again under ASan + UBSan (clang), then every fuzz target for 20 s.
scripts/sanitize.sh
scripts/fuzz.sh 20
