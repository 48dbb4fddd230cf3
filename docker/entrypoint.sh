#!/usr/bin/env bash
# ec-entrypoint: runs one EventCluster process in a container; its flags may come from the
# environment as well as from the command line (a flag given on the command line wins; an unset
# or empty variable leaves the binary's default).
#
#   ec-entrypoint jobmanager  [FLAG...]   ec-jobmanager
#       EC_JOBMANAGER_RPC_PORT --rpc-port   EC_JOBMANAGER_REST_PORT --rest-port
#       EC_DATA_DIR --data-dir              EC_CHECKPOINT_DIR --checkpoint-dir
#       EC_HEARTBEAT_TIMEOUT --heartbeat-timeout  EC_SCHEDULER_MODE --scheduler-mode
#       EC_METRICS_PREFIX --metrics-prefix (GET /metrics on the REST port)
#       EC_ADMIN_TOKEN, EC_VIEWER_TOKEN: written (mode 0600) to a token file for --auth-token-file
#       (users admin and viewer); EC_CLUSTER_SECRET is read by the binaries themselves
#   ec-entrypoint taskmanager [FLAG...]   ec-taskmanager
#       EC_JOBMANAGER --jobmanager          EC_TASKMANAGER_SLOTS --slots
#       EC_TASKMANAGER_DATA_PORT --data-port  EC_TASKMANAGER_RPC_PORT --rpc-port
#       EC_DATA_DIR --data-dir (+ /taskmanager-<id>: replicas may share one volume)
#       EC_ADVERTISE_HOST --advertise-host (default: this container's IP address, `hostname -i`)
#       EC_TASKMANAGER_ID --id (default: tm-<hostname>; set it when several run on one host)
#       EC_METRICS_PORT --metrics-port      EC_METRICS_PREFIX --metrics-prefix
#       EC_VIEWER_TOKEN: written (mode 0600) to a token file for --auth-token-file (user viewer),
#       which GET /metrics asks for; EC_KAFKA_SASL_PASSWORD and EC_CLUSTER_SECRET are read by
#       ec-taskmanager itself (EC_KAFKA_SASL_PASSWORD: jobs' kafka-sasl-password)
#   ec-entrypoint producer    [FLAG...]   ec-producer
#       EC_PRODUCER_PORT --port  EC_PRODUCER_BIND --bind  EC_PRODUCER_RATE --rate
#       EC_PRODUCER_COUNT --count  EC_PRODUCER_SEED --seed  EC_PRODUCER_START_TIME --start-time
#       EC_PRODUCER_TIME_STEP_MS --time-step-ms  EC_PRODUCER_MALFORMED_EVERY --malformed-every
#   ec-entrypoint consumer    [FLAG...]   ec-consumer
#       EC_PRODUCER_HOST --host  EC_PRODUCER_PORT --port  EC_CONSUMER_COUNT --count
#   ec-entrypoint nexmark     [FLAG...]   ec-nexmark-gen (Nexmark events into a Kafka topic)
#   ec-entrypoint ecctl       [ARG...]    ecctl (EC_JOBMANAGER is read by ecctl itself)
#       `ecctl submit JOB.json`: every EC_JOB_<NAME>=VALUE adds the job parameter
#       --<name> VALUE (lower case, '_' -> '-'), e.g. EC_JOB_KAFKA_TOPIC -> --kafka-topic
#   ec-entrypoint health ROLE             exit 0 if ROLE (jobmanager, taskmanager, producer)
#                                         is serving: the container health check
#   ec-entrypoint COMMAND [ARG...]        anything else runs as is (e.g. bash)
#
# EC_LOG_LEVEL (trace, debug, info, warn, error) is read by every binary. EC_BIN_DIR (default: the
# directory of this script) is where the binaries are; EC_ENTRYPOINT_DRY_RUN=1 prints the
# command line instead of running it.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
bin_dir="${EC_BIN_DIR:-$here}"

die() { echo "ec-entrypoint: $*" >&2; exit 2; }

role="${1:-}"
[[ -n "$role" ]] || die "usage: ec-entrypoint jobmanager|taskmanager|producer|consumer|ecctl|health ROLE|COMMAND [ARG...]"
shift
user_args=("$@")
env_args=()

given() {  # given FLAG: true if the command line has FLAG (as "FLAG VALUE" or "FLAG=VALUE")
  local a
  for a in "${user_args[@]}"; do
    [[ "$a" == "$1" || "$a" == "$1="* ]] && return 0
  done
  return 1
}

flag() {  # flag FLAG VALUE: adds "FLAG VALUE" unless VALUE is empty or FLAG is on the command line
  [[ -n "${2:-}" ]] || return 0
  given "$1" && return 0
  env_args+=("$1" "$2")
}

run() {  # run BINARY: the binary with the flags from the environment, then the command line
  local cmd=("$bin_dir/$1" "${env_args[@]}" "${user_args[@]}")
  if [[ "${EC_ENTRYPOINT_DRY_RUN:-0}" == 1 ]]; then
    printf '%s\n' "${cmd[@]}"
    exit 0
  fi
  exec "${cmd[@]}"
}

container_ip() {  # the first non-loopback IPv4 address of this host name (Docker: the container's)
  local ip
  for ip in $(hostname -i 2>/dev/null || true); do
    if [[ "$ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && "$ip" != 127.* ]]; then
      echo "$ip"
      return 0
    fi
  done
  return 0
}

taskmanager_id() { echo "${EC_TASKMANAGER_ID:-tm-$(hostname)}"; }

token_file() {  # --auth-token-file: EC_ADMIN_TOKEN and EC_VIEWER_TOKEN, lines `name role token`
  [[ -n "${EC_ADMIN_TOKEN:-}${EC_VIEWER_TOKEN:-}" ]] || return 0
  given --auth-token-file && return 0
  local tokens
  tokens="$(umask 077 && mktemp -d)/tokens"
  (
    umask 077
    exec >"$tokens"
    [[ -z "${EC_ADMIN_TOKEN:-}" ]] || echo "admin admin $EC_ADMIN_TOKEN"
    [[ -z "${EC_VIEWER_TOKEN:-}" ]] || echo "viewer viewer $EC_VIEWER_TOKEN"
  )
  flag --auth-token-file "$tokens"
}

health() {
  local what="${1:-}"
  # ecctl reads EC_TOKEN; a container holds the token its role was given
  export EC_TOKEN="${EC_TOKEN:-${EC_ADMIN_TOKEN:-${EC_VIEWER_TOKEN:-}}}"
  case "$what" in
    jobmanager)
      timeout 10 "$bin_dir/ecctl" --jobmanager "127.0.0.1:${EC_JOBMANAGER_RPC_PORT:-6123}" list \
        >/dev/null ;;
    taskmanager)  # registered with the JobManager under its id
      local id
      id="$(taskmanager_id)"
      timeout 10 "$bin_dir/ecctl" taskmanagers | awk -v id="$id" '
        NR > 1 && $1 == id { found = 1 } END { exit !found }' ;;
    producer)     # serves an event
      timeout 10 "$bin_dir/ec-consumer" --host 127.0.0.1 --port "${EC_PRODUCER_PORT:-9999}" \
        --count 1 >/dev/null ;;
    *) die "health: unknown role '$what' (jobmanager, taskmanager or producer)" ;;
  esac
}

case "$role" in
  jobmanager)
    flag --rpc-port "${EC_JOBMANAGER_RPC_PORT:-}"
    flag --rest-port "${EC_JOBMANAGER_REST_PORT:-}"
    flag --data-dir "${EC_DATA_DIR:-}"
    flag --checkpoint-dir "${EC_CHECKPOINT_DIR:-}"
    flag --heartbeat-timeout "${EC_HEARTBEAT_TIMEOUT:-}"
    flag --scheduler-mode "${EC_SCHEDULER_MODE:-}"
    flag --metrics-prefix "${EC_METRICS_PREFIX:-}"
    token_file
    run ec-jobmanager ;;
  taskmanager)
    id="$(taskmanager_id)"
    flag --jobmanager "${EC_JOBMANAGER:-}"
    flag --slots "${EC_TASKMANAGER_SLOTS:-}"
    flag --data-port "${EC_TASKMANAGER_DATA_PORT:-}"
    flag --rpc-port "${EC_TASKMANAGER_RPC_PORT:-}"
    if [[ -n "${EC_DATA_DIR:-}" ]]; then flag --data-dir "$EC_DATA_DIR/taskmanager-$id"; fi
    flag --advertise-host "${EC_ADVERTISE_HOST:-$(container_ip)}"
    flag --id "$id"
    flag --metrics-port "${EC_METRICS_PORT:-}"
    flag --metrics-prefix "${EC_METRICS_PREFIX:-}"
    token_file
    run ec-taskmanager ;;
  producer)
    flag --port "${EC_PRODUCER_PORT:-}"
    flag --bind "${EC_PRODUCER_BIND:-}"
    flag --rate "${EC_PRODUCER_RATE:-}"
    flag --count "${EC_PRODUCER_COUNT:-}"
    flag --seed "${EC_PRODUCER_SEED:-}"
    flag --start-time "${EC_PRODUCER_START_TIME:-}"
    flag --time-step-ms "${EC_PRODUCER_TIME_STEP_MS:-}"
    flag --malformed-every "${EC_PRODUCER_MALFORMED_EVERY:-}"
    run ec-producer ;;
  consumer)
    flag --host "${EC_PRODUCER_HOST:-}"
    flag --port "${EC_PRODUCER_PORT:-}"
    flag --count "${EC_CONSUMER_COUNT:-}"
    run ec-consumer ;;
  nexmark)
    run ec-nexmark-gen ;;
  ecctl)
    is_submit=0
    for a in "${user_args[@]}"; do [[ "$a" == submit ]] && is_submit=1; done
    if [[ $is_submit == 1 ]]; then
      # Job parameters go after the job file: append them after the command line.
      while IFS='=' read -r name value; do
        [[ -n "$value" ]] || continue
        param="${name#EC_JOB_}"
        param="--${param,,}"
        param="${param//_/-}"
        given "$param" && continue
        user_args+=("$param" "$value")
      done < <(env | grep -E '^EC_JOB_[A-Za-z0-9_]+=' | sort)
    fi
    export EC_TOKEN="${EC_TOKEN:-${EC_ADMIN_TOKEN:-}}"
    run ecctl ;;
  health)
    health "${user_args[@]}" ;;
  *)
    if [[ "${EC_ENTRYPOINT_DRY_RUN:-0}" == 1 ]]; then printf '%s\n' "$role" "$@"; exit 0; fi
    exec "$role" "$@" ;;
esac
