#!/usr/bin/env bash
# Runs the original system's pipeline end to end on one machine: a local Kafka broker (SASL and
# ACLs), a JobManager, a TaskManager, ec-producer, and examples/job.json submitted with ecctl as
# the permitted user alice; then shows events from the topic with kcat and the job's metrics.
# Leaves everything running; scripts/demo.sh stop ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${EC_DEMO_DIR:-/tmp/ec-demo}
bin=build/bin

if [[ "${1:-}" == "stop" ]]; then
  for p in "$run"/*.pid; do [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null || true; rm -f "$p"; done
  scripts/kafka/stop.sh --dir "$run/kafka"
  exit 0
fi

scripts/setup.sh
scripts/build.sh
mkdir -p "$run"
scripts/kafka/start.sh --dir "$run/kafka"

# Secure by default: a cluster secret for the JobManager and TaskManager, an admin token for
# ecctl and the web UI (kept in $run, mode 0600, made once).
umask 077
[[ -s "$run/cluster-secret" ]] || openssl rand -hex 32 >"$run/cluster-secret"
if [[ ! -s "$run/admin.token" ]]; then
  openssl rand -hex 24 >"$run/admin.token"
  echo "admin admin $(cat "$run/admin.token")" >"$run/tokens"
fi
umask 022
export EC_TOKEN="$(cat "$run/admin.token")"

start() {  # name, command...
  local name=$1; shift
  if [[ -f "$run/$name.pid" ]] && kill -0 "$(cat "$run/$name.pid")" 2>/dev/null; then return; fi
  "$@" >"$run/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
}
start jobmanager "$bin/ec-jobmanager" --rpc-port 6123 --rest-port 8081 --data-dir "$run/jm" \
  --cluster-secret-file "$run/cluster-secret" --auth-token-file "$run/tokens"
start taskmanager "$bin/ec-taskmanager" --jobmanager localhost:6123 --slots 2 --data-dir "$run/tm" \
  --cluster-secret-file "$run/cluster-secret"
start producer "$bin/ec-producer" --port 9999 --rate 1000

for _ in $(seq 1 100); do
  "$bin/ecctl" taskmanagers 2>/dev/null | grep -q tm- && break
  sleep 0.2
done
job=$("$bin/ecctl" submit examples/job.json --hostname 127.0.0.1 --port 9999 \
  --kafka-bootstrap-servers 127.0.0.1:9094 --kafka-topic events_processed \
  --kafka-security-protocol SASL_PLAINTEXT --kafka-sasl-username alice --kafka-sasl-password alice-secret)
echo "submitted job $job"
sleep 5
"$bin/ecctl" status "$job"
echo
echo "first events in events_processed (kcat):"
kcat -C -b 127.0.0.1:9092 -t events_processed -o beginning -c 3 -q
echo
echo "web UI: http://localhost:8081 (log in with the token in $run/admin.token)"
echo "ecctl: $bin/ecctl --token-file $run/admin.token list   stop everything: scripts/demo.sh stop"
