#!/usr/bin/env bash
# Copies the Kafka broker's runtime jars into scripts/kafka/lib (idempotent).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="${EC_KAFKA_LIB:-$here/lib}"
if [[ -f "$lib/.complete" ]]; then exit 0; fi
mkdir -p "$lib"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$lib"
touch "$lib/.complete"
