#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test (unit and integration; the integration tests
# start their own Kafka broker and cluster processes). Fast ones only: ctest --test-dir build -LE integration
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 2400
