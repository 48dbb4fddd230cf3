#!/usr/bin/env bash
# A local EventCluster as processes, in a run directory: the local Kafka broker
# (scripts/kafka/start.sh), a JobManager, N TaskManagers and the producer. Scale the TaskManagers
# up and down while it runs; stop ends everything cleanly. See docker/README.md.
#
# Usage: scripts/cluster.sh [--dir DIR] [--no-kafka] [--no-producer] COMMAND
#   start [N]   start what is not running yet, with N TaskManagers (default $EC_TASKMANAGERS or 1)
#   scale N     start or stop TaskManagers until N run; stopping sends SIGTERM (the TaskManager
#               cancels its tasks and leaves), idle TaskManagers first, newest first
#   status      the processes, the registered TaskManagers and the jobs (exit 3 if not running)
#   stop        SIGTERM to everything (TaskManagers, producer, JobManager, then the broker)
#   stop --wipe also delete DIR (logs, data, the broker's topics)
#
# Environment (defaults in brackets); start records the ports in DIR/cluster.env for later commands:
#   EC_CLUSTER_DIR [/tmp/ec-cluster]       EC_BIN_DIR [<repo>/build/bin]
#   EC_JOBMANAGER_HOST [127.0.0.1]         EC_JOBMANAGER_RPC_PORT [6123]   EC_JOBMANAGER_REST_PORT [8081]
#   EC_TASKMANAGERS [1]                    EC_TASKMANAGER_SLOTS [2]        EC_ADVERTISE_HOST [auto]
#   EC_PRODUCER_PORT [9999]                EC_PRODUCER_RATE [10]           EC_PRODUCER_BIND [0.0.0.0]
#   EC_HEARTBEAT_TIMEOUT [the JobManager's default]  EC_SCHEDULER_MODE [default] (reactive: `scale`
#   rescales running jobs to the TaskManagers' slots)
#   EC_CLUSTER_KAFKA [1] (0 = no broker: use your own)  EC_CLUSTER_PRODUCER [1] (0 = no producer)
#   EC_CLUSTER_TIMEOUT [60] seconds to wait for a process to be ready or gone
#   The broker takes its ports from EC_KAFKA_PLAINTEXT_PORT [9092], EC_KAFKA_SASL_PORT [9094],
#   EC_KAFKA_SASL_SSL_PORT [9095], EC_KAFKA_SSL_PORT [9096] (0: none),
#   EC_KAFKA_CONTROLLER_PORT [9093] (scripts/kafka/README.md); its directory is DIR/kafka.
#
# Files in DIR: cluster-secret, tokens, admin.token (made once, mode 0600: ecctl --token-file
# DIR/admin.token; the web UI logs in with that token), cluster.env, jobmanager.{pid,log},
# producer.{pid,log}, taskmanagers/K.{pid,id,log} (K = 1, 2, ... never reused), jobmanager/,
# checkpoints/, taskmanagers/K/ (data), kafka/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

run="${EC_CLUSTER_DIR:-/tmp/ec-cluster}"
with_kafka="${EC_CLUSTER_KAFKA:-1}"
with_producer="${EC_CLUSTER_PRODUCER:-1}"

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
log() { echo "[cluster] $*" >&2; }
die() { echo "[cluster] ERROR: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) run="$2"; shift 2 ;;
    --no-kafka) with_kafka=0; shift ;;
    --no-producer) with_producer=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "cluster.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
command="${1:-}"
[[ -n "$command" ]] || { usage >&2; exit 2; }
shift

mkdir -p "$run/taskmanagers"
run="$(cd "$run" && pwd)"
timeout="${EC_CLUSTER_TIMEOUT:-60}"

# One command at a time per run directory (the processes it starts do not inherit the lock).
exec 9>"$run/.lock"
flock 9

# ---------------------------------------------------------------- processes
# A pid file holds "PID STARTTIME": the start time (field 22 of /proc/PID/stat) tells our process
# from a later one that got the same pid.
start_time_of() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"  # fields after "(comm) "; field 3 is the first here
  # shellcheck disable=SC2086
  set -- $stat
  [[ "$1" != Z ]] || return 1  # a zombie is gone
  echo "${20}"
}

pid_of() {  # pid_of PIDFILE: the pid if that process still runs, else nothing (status 1)
  local pid st now
  [[ -s "$1" ]] || return 1
  read -r pid st <"$1" || true
  [[ -n "$pid" ]] || return 1
  now="$(start_time_of "$pid")" || return 1
  [[ "$now" == "$st" ]] || return 1
  echo "$pid"
}

spawn() {  # spawn PIDFILE LOGFILE COMMAND...: starts COMMAND in its own session, in the background
  local pidfile="$1" logfile="$2"
  shift 2
  rm -f "$pidfile"
  { echo; echo "===== start $(date -Is): $*"; } >>"$logfile"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1.tmp"; shift; exec "$@"' _ "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local i pid
  for ((i = 0; i < 100; i++)); do
    [[ -s "$pidfile.tmp" ]] && break
    sleep 0.05
  done
  pid="$(cat "$pidfile.tmp" 2>/dev/null)" || die "could not start $1"
  rm -f "$pidfile.tmp"
  echo "$pid $(start_time_of "$pid" || echo 0)" >"$pidfile"
}

wait_for() {  # wait_for COMMAND...: polls COMMAND until it succeeds (0), the timeout passes (1)
  local deadline=$((SECONDS + timeout)) rc  # or COMMAND says its process died (2)
  while :; do
    rc=0
    "$@" || rc=$?
    ((rc == 0 || rc == 2)) && return "$rc"
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

terminate() {  # terminate PIDFILE...: SIGTERM, wait until gone (SIGKILL after the timeout)
  local f pid pids=()
  for f in "$@"; do
    if pid="$(pid_of "$f")"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$f"); fi
  done
  local deadline=$((SECONDS + timeout))
  for f in "${pids[@]}"; do
    while pid_of "$f" >/dev/null; do
      if ((SECONDS >= deadline)); then
        pid="$(pid_of "$f")" && { log "$(basename "$f" .pid) did not stop in ${timeout}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
        sleep 0.2
        continue
      fi
      sleep 0.1
    done
  done
  rm -f "$@"
}

# ---------------------------------------------------------------- settings (recorded at start)
# A running cluster keeps the settings it was started with (DIR/cluster.env); otherwise they come
# from the environment.
if [[ -f "$run/cluster.env" ]] && { [[ "$command" != start ]] || pid_of "$run/jobmanager.pid" >/dev/null; }; then
  # shellcheck source=/dev/null
  source "$run/cluster.env"
else
  bin="${EC_BIN_DIR:-$repo/build/bin}"
  jm_host="${EC_JOBMANAGER_HOST:-127.0.0.1}"
  jm_rpc_port="${EC_JOBMANAGER_RPC_PORT:-6123}"
  jm_rest_port="${EC_JOBMANAGER_REST_PORT:-8081}"
  producer_port="${EC_PRODUCER_PORT:-9999}"
  slots="${EC_TASKMANAGER_SLOTS:-2}"
fi
[[ -x "$bin/ec-jobmanager" ]] || die "no binaries in $bin (build first: scripts/build.sh, or set EC_BIN_DIR)"
bin="$(cd "$bin" && pwd)"
jobmanager="$jm_host:$jm_rpc_port"

write_env() {
  cat >"$run/cluster.env" <<EOF
bin=$bin
jm_host=$jm_host
jm_rpc_port=$jm_rpc_port
jm_rest_port=$jm_rest_port
producer_port=$producer_port
slots=$slots
with_kafka=$with_kafka
with_producer=$with_producer
EOF
}

# Secure by default (issue 15): the cluster secret the JobManager and TaskManagers share and an
# admin token for ecctl and the web UI, made once per run directory (mode 0600).
secret_file="$run/cluster-secret"
token_file="$run/tokens"
admin_token_file="$run/admin.token"
make_credentials() {
  (
    umask 077
    [[ -s "$secret_file" ]] || openssl rand -hex 32 >"$secret_file"
    if [[ ! -s "$admin_token_file" ]]; then
      openssl rand -hex 24 >"$admin_token_file"
      echo "admin admin $(cat "$admin_token_file")" >"$token_file"
    fi
  )
}

ecctl() { timeout 30 "$bin/ecctl" --jobmanager "$jobmanager" --token-file "$admin_token_file" "$@"; }

# ---------------------------------------------------------------- components
start_kafka() {
  [[ "$with_kafka" == 1 ]] || return 0
  "$repo/scripts/kafka/start.sh" --dir "$run/kafka" >&2 9>&-  # the broker must not hold the lock
}

# Ready checks: 0 ready, 1 not yet, 2 the process died (a port in use, a bad flag...).
jobmanager_ready() {
  pid_of "$run/jobmanager.pid" >/dev/null || return 2
  ecctl list >/dev/null 2>&1
}

start_jobmanager() {
  if pid_of "$run/jobmanager.pid" >/dev/null; then return 0; fi
  local args=(--rpc-port "$jm_rpc_port" --rest-port "$jm_rest_port" --data-dir "$run/jobmanager"
              --checkpoint-dir "$run/checkpoints" --cluster-secret-file "$secret_file"
              --auth-token-file "$token_file")
  [[ -n "${EC_HEARTBEAT_TIMEOUT:-}" ]] && args+=(--heartbeat-timeout "$EC_HEARTBEAT_TIMEOUT")
  [[ -n "${EC_SCHEDULER_MODE:-}" ]] && args+=(--scheduler-mode "$EC_SCHEDULER_MODE")
  # gRPC binds with SO_REUSEPORT: a second JobManager on a taken port would start and share it.
  if ecctl list >/dev/null 2>&1; then
    die "a JobManager already answers on $jobmanager (another cluster? set EC_JOBMANAGER_RPC_PORT)"
  fi
  log "JobManager on $jobmanager (web http://$jm_host:$jm_rest_port)"
  spawn "$run/jobmanager.pid" "$run/jobmanager.log" "$bin/ec-jobmanager" "${args[@]}"
  if ! wait_for jobmanager_ready; then
    tail -n 20 "$run/jobmanager.log" >&2
    pid_of "$run/jobmanager.pid" >/dev/null || die "the JobManager exited (log: $run/jobmanager.log)"
    die "the JobManager did not answer on $jobmanager within ${timeout}s (log: $run/jobmanager.log)"
  fi
}

producer_ready() {
  pid_of "$run/producer.pid" >/dev/null || return 2
  grep -q "listening" "$run/producer.log" 2>/dev/null
}

start_producer() {
  [[ "$with_producer" == 1 ]] || return 0
  if pid_of "$run/producer.pid" >/dev/null; then return 0; fi
  : >"$run/producer.log"
  log "producer on port $producer_port"
  spawn "$run/producer.pid" "$run/producer.log" "$bin/ec-producer" --port "$producer_port" \
    --rate "${EC_PRODUCER_RATE:-10}" --bind "${EC_PRODUCER_BIND:-0.0.0.0}"
  if ! wait_for producer_ready; then
    tail -n 20 "$run/producer.log" >&2
    pid_of "$run/producer.pid" >/dev/null || die "the producer exited (log: $run/producer.log)"
    die "the producer did not listen on $producer_port within ${timeout}s (log: $run/producer.log)"
  fi
}

live_taskmanagers() {  # the indexes K of running TaskManagers, ascending; removes stale pid files
  local f k
  for f in "$run"/taskmanagers/*.pid; do
    [[ -e "$f" ]] || continue
    k="$(basename "$f" .pid)"
    if pid_of "$f" >/dev/null; then echo "$k"; else rm -f "$f"; fi
  done | sort -n
}

registered_ids() { ecctl taskmanagers 2>/dev/null | awk 'NR > 1 && NF >= 4 {print $1}'; }
idle_ids() { ecctl taskmanagers 2>/dev/null | awk 'NR > 1 && NF >= 4 && $3 == $4 {print $1}'; }

all_registered() {  # all_registered K...: TaskManagers K run and are registered
  local ids k
  for k in "$@"; do pid_of "$run/taskmanagers/$k.pid" >/dev/null || return 2; done
  ids="$(registered_ids)" || return 1
  for k in "$@"; do grep -qxF -- "$(cat "$run/taskmanagers/$k.id")" <<<"$ids" || return 1; done
}

none_registered() {  # none_registered ID...
  local ids id
  ids="$(registered_ids)" || return 1
  for id in "$@"; do grep -qxF -- "$id" <<<"$ids" && return 1; done
  return 0
}

start_taskmanager() {  # prints the new TaskManager's index K
  local k id args
  k="$(cat "$run/taskmanagers/next" 2>/dev/null || echo 1)"
  echo $((k + 1)) >"$run/taskmanagers/next"
  id="tm-$(hostname -s 2>/dev/null || echo local)-$k"
  echo "$id" >"$run/taskmanagers/$k.id"
  args=(--jobmanager "$jobmanager" --slots "$slots" --data-dir "$run/taskmanagers/$k" --id "$id"
        --cluster-secret-file "$secret_file" --metrics-port "${EC_METRICS_PORT:-9249-9259}")
  [[ -n "${EC_ADVERTISE_HOST:-}" ]] && args+=(--advertise-host "$EC_ADVERTISE_HOST")
  spawn "$run/taskmanagers/$k.pid" "$run/taskmanagers/$k.log" "$bin/ec-taskmanager" "${args[@]}"
  echo "$k"
}

scale_to() {
  local want="$1" live k new=() victims=() victim_ids=() idle
  [[ "$want" =~ ^[0-9]+$ ]] || die "scale: expected a number of TaskManagers, got '$want'"
  mapfile -t live < <(live_taskmanagers)
  if ((${#live[@]} < want)); then
    log "TaskManagers: ${#live[@]} -> $want"
    for ((k = ${#live[@]}; k < want; k++)); do new+=("$(start_taskmanager)"); done
    if ! wait_for all_registered "${new[@]}"; then
      for k in "${new[@]}"; do
        pid_of "$run/taskmanagers/$k.pid" >/dev/null && continue
        tail -n 20 "$run/taskmanagers/$k.log" >&2
        die "TaskManager $(cat "$run/taskmanagers/$k.id") exited (log: $run/taskmanagers/$k.log)"
      done
      die "TaskManagers not registered within ${timeout}s (logs: $run/taskmanagers/*.log)"
    fi
  elif ((${#live[@]} > want)); then
    log "TaskManagers: ${#live[@]} -> $want"
    idle="$(idle_ids || true)"
    # Idle ones first, newest first; then busy ones, newest first.
    for k in $(printf '%s\n' "${live[@]}" | sort -rn); do
      grep -qxF -- "$(cat "$run/taskmanagers/$k.id")" <<<"$idle" && victims+=("$k")
    done
    for k in $(printf '%s\n' "${live[@]}" | sort -rn); do
      [[ " ${victims[*]} " == *" $k "* ]] || victims+=("$k")
    done
    victims=("${victims[@]:0:$((${#live[@]} - want))}")
    local files=()
    for k in "${victims[@]}"; do
      files+=("$run/taskmanagers/$k.pid")
      victim_ids+=("$(cat "$run/taskmanagers/$k.id")")
      log "stopping TaskManager ${victim_ids[-1]} (SIGTERM)"
    done
    terminate "${files[@]}"
    if ! wait_for none_registered "${victim_ids[@]}"; then
      log "warning: the JobManager still lists ${victim_ids[*]} after ${timeout}s"
    fi
  fi
}

status() {
  local rc=0 f k pid
  echo "run directory: $run"
  if pid="$(pid_of "$run/jobmanager.pid")"; then
    echo "jobmanager   running  pid $pid  rpc $jobmanager  web http://$jm_host:$jm_rest_port"
  else
    echo "jobmanager   stopped"; rc=3
  fi
  if [[ "$with_producer" == 1 ]]; then
    if pid="$(pid_of "$run/producer.pid")"; then
      echo "producer     running  pid $pid  port $producer_port"
    else
      echo "producer     stopped"
    fi
  fi
  for k in $(live_taskmanagers); do
    echo "taskmanager  running  pid $(pid_of "$run/taskmanagers/$k.pid")  id $(cat "$run/taskmanagers/$k.id")"
  done
  if [[ "$with_kafka" == 1 && -d "$run/kafka" ]]; then
    if [[ -f "$run/kafka/ports.env" ]] && kafka_pid="$(cat "$run/kafka/kafka.pid" 2>/dev/null)" \
        && kill -0 "$kafka_pid" 2>/dev/null; then
      # shellcheck source=/dev/null
      source "$run/kafka/ports.env"
      echo "kafka        running  pid $kafka_pid  plaintext $EC_KAFKA_HOST:$EC_KAFKA_PLAINTEXT_PORT  sasl $EC_KAFKA_HOST:$EC_KAFKA_SASL_PORT"
    else
      echo "kafka        stopped"
    fi
  fi
  if [[ $rc == 0 ]]; then
    echo
    ecctl taskmanagers || true
    echo
    echo "jobs:"
    ecctl list || true
  fi
  return $rc
}

stop_all() {
  local files=() f
  for f in "$run"/taskmanagers/*.pid; do [[ -e "$f" ]] && files+=("$f"); done
  if ((${#files[@]})); then log "stopping ${#files[@]} TaskManager(s)"; terminate "${files[@]}"; fi
  log "stopping the producer and the JobManager"
  terminate "$run/producer.pid"
  terminate "$run/jobmanager.pid"
  if [[ "$with_kafka" == 1 && -d "$run/kafka" ]]; then
    "$repo/scripts/kafka/stop.sh" --dir "$run/kafka" >&2 9>&-
  fi
  rm -f "$run/cluster.env"
}

case "$command" in
  start)
    want="${1:-${EC_TASKMANAGERS:-}}"
    if [[ -z "$want" ]]; then
      want="$(live_taskmanagers | wc -l)"
      ((want > 0)) || want=1
    fi
    write_env
    make_credentials
    start_kafka
    start_jobmanager
    start_producer
    scale_to "$want"
    log "running: JobManager $jobmanager, $want TaskManager(s), web http://$jm_host:$jm_rest_port"
    if [[ "$with_kafka" == 1 && -f "$run/kafka/ports.env" ]]; then
      # shellcheck source=/dev/null
      source "$run/kafka/ports.env"
      log "submit the original job:"
      log "  $bin/ecctl --jobmanager $jobmanager --token-file $admin_token_file submit $repo/examples/job.json --hostname 127.0.0.1 --port $producer_port --kafka-bootstrap-servers $EC_KAFKA_HOST:$EC_KAFKA_SASL_PORT --kafka-security-protocol SASL_PLAINTEXT --kafka-sasl-username alice --kafka-sasl-password alice-secret"
    fi
    ;;
  scale)
    [[ $# -ge 1 ]] || die "usage: cluster.sh scale N"
    pid_of "$run/jobmanager.pid" >/dev/null || die "the cluster in $run is not running (cluster.sh start)"
    scale_to "$1"
    ;;
  status)
    status
    ;;
  stop)
    stop_all
    if [[ "${1:-}" == --wipe ]]; then
      exec 9>&-
      rm -rf "$run"
      log "deleted $run"
    fi
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
