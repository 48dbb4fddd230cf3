#!/usr/bin/env bash
# Stops the broker started by start.sh for DIR: SIGTERM (clean, controlled shutdown), wait up to
# --timeout seconds (default 30), then SIGKILL. Idempotent: exits 0 if nothing is running.
# --wipe also deletes DIR (data, config and logs).
#
# Usage: stop.sh [--dir DIR] [--timeout SECS] [--wipe]
set -euo pipefail

dir="${EC_KAFKA_DIR:-/tmp/ec-kafka}"
timeout=30
wipe=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --wipe) wipe=1; shift ;;
    -h|--help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stop.sh: unknown option: $1" >&2; exit 2 ;;
  esac
done
log() { echo "[kafka stop] $*" >&2; }

if [[ ! -d "$dir" ]]; then
  log "nothing to stop ($dir does not exist)"
  exit 0
fi
dir="$(cd "$dir" && pwd)"
pidfile="$dir/kafka.pid"
marker="-Dec.kafka.dir=$dir"

is_our_broker() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  local cmd
  cmd="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  grep -qxF -- "$marker" <<<"$cmd" && grep -qxF kafka.Kafka <<<"$cmd"
}

# Our broker(s): the pid file, plus (in case the pid file was lost) any JVM whose command line
# carries this exact dir marker.
pids=()
if [[ -f "$pidfile" ]] && is_our_broker "$(cat "$pidfile")"; then pids+=("$(cat "$pidfile")"); fi
for p in /proc/[0-9]*; do
  p="${p#/proc/}"
  [[ " ${pids[*]-} " == *" $p "* ]] && continue
  if is_our_broker "$p"; then pids+=("$p"); fi
done

if [[ ${#pids[@]} -eq 0 ]]; then
  log "no broker running for $dir"
else
  log "stopping broker pid ${pids[*]} (SIGTERM)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  killed=0
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for p in "${pids[@]}"; do is_our_broker "$p" && alive+=("$p"); done
    [[ ${#alive[@]} -eq 0 ]] && break
    if (( SECONDS >= deadline )); then
      log "still running after ${timeout}s; SIGKILL ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      killed=1
      for _ in $(seq 50); do
        still=0
        for p in "${alive[@]}"; do is_our_broker "$p" && still=1; done
        [[ $still -eq 0 ]] && break
        sleep 0.1
      done
      break
    fi
    sleep 0.2
  done
  log "stopped"
fi
rm -f "$pidfile"

# A broker started without a class-data archive writes one when it exits cleanly (see start.sh);
# move it into place, or discard it if the JVM was killed.
if [[ -f "$dir/cds-pending" ]]; then
  read -r tmp final <"$dir/cds-pending" || true
  if [[ -n "${tmp:-}" && -n "${final:-}" && "${killed:-1}" -eq 0 && -s "$tmp" ]]; then
    mv -f "$tmp" "$final"
  else
    rm -f "${tmp:-/nonexistent}"
  fi
  rm -f "$dir/cds-pending"
fi

if [[ $wipe -eq 1 ]]; then
  case "$dir" in
    /|/tmp|/root|/home|/work|"$HOME") echo "[kafka stop] refusing to wipe $dir" >&2; exit 1 ;;
  esac
  rm -rf -- "$dir"
  log "wiped $dir"
fi
