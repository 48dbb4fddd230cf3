#!/usr/bin/env bash
# kafka-init: what the original setup-kafka.sh did, for the compose cluster. Waits for the broker,
# creates the topics and grants the producer user its ACLs; idempotent (topics --if-not-exists,
# ACLs --add of what is already there changes nothing), so it may run on every `up`. Runs in the
# apache/kafka image (its CLI scripts in /opt/kafka/bin) against the broker's PLAINTEXT listener,
# where the client is User:ANONYMOUS, a super user (as in scripts/kafka/start.sh).
#
# Environment (defaults in brackets):
#   EC_KAFKA_ADMIN_BOOTSTRAP   admin listener [kafka:19092]
#   EC_KAFKA_ADMIN_CONFIG      optional client properties file for the admin calls (--command-config)
#   EC_KAFKA_TOPICS            topics to create, blank-separated [events_processed events_processed.dlq]
#   EC_KAFKA_PARTITIONS        partitions of each [1]
#   EC_KAFKA_REPLICATION       replication factor [1]
#   EC_KAFKA_PRODUCER_USER     the user the jobs write as [alice]
#   EC_KAFKA_TOPIC_PREFIX      topics that user may produce, consume and create: a prefix [events_]
#   EC_KAFKA_INIT_TIMEOUT      seconds to wait for the broker [180]
#   KAFKA_BIN_DIR              where kafka-topics.sh and kafka-acls.sh are [/opt/kafka/bin]
set -euo pipefail

bin="${KAFKA_BIN_DIR:-/opt/kafka/bin}"
bootstrap="${EC_KAFKA_ADMIN_BOOTSTRAP:-kafka:19092}"
topics="${EC_KAFKA_TOPICS:-events_processed events_processed.dlq}"
partitions="${EC_KAFKA_PARTITIONS:-1}"
replication="${EC_KAFKA_REPLICATION:-1}"
user="${EC_KAFKA_PRODUCER_USER:-alice}"
prefix="${EC_KAFKA_TOPIC_PREFIX:-events_}"
timeout="${EC_KAFKA_INIT_TIMEOUT:-180}"

log() { echo "[kafka-init] $*" >&2; }
admin=(--bootstrap-server "$bootstrap")
if [[ -n "${EC_KAFKA_ADMIN_CONFIG:-}" ]]; then admin+=(--command-config "$EC_KAFKA_ADMIN_CONFIG"); fi

log "waiting for the broker at $bootstrap (up to ${timeout}s)"
deadline=$((SECONDS + timeout))
until "$bin/kafka-topics.sh" "${admin[@]}" --list >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    log "ERROR: broker at $bootstrap not reachable after ${timeout}s"
    "$bin/kafka-topics.sh" "${admin[@]}" --list >&2 || true
    exit 1
  fi
  sleep 2
done

for topic in $topics; do
  log "topic $topic ($partitions partitions, replication $replication)"
  "$bin/kafka-topics.sh" "${admin[@]}" --create --if-not-exists --topic "$topic" \
    --partitions "$partitions" --replication-factor "$replication"
done

acl() { "$bin/kafka-acls.sh" "${admin[@]}" --add --force --allow-principal "User:$user" "$@" >/dev/null; }
log "ACLs for User:$user"
# Produce, consume and create every topic named $prefix*.
acl --resource-pattern-type prefixed --topic "$prefix" --operation Write --operation Describe \
    --operation Create --operation Read --operation DescribeConfigs
# Idempotent and transactional producers (at-least-once and exactly-once sinks).
acl --cluster --operation IdempotentWrite
acl --transactional-id '*' --operation Write --operation Describe
# Consumer groups (reading the topics back).
acl --group '*' --operation Read --operation Describe
log "done"
