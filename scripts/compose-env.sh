#!/usr/bin/env bash
# Writes .env for docker-compose.yml from .env.example with fresh random secrets: the Kafka
# passwords, the cluster secret, the admin and viewer tokens and Grafana's admin password (mode
# 0600). Keeps an existing .env unless --force. Prints where the admin token is, never the
# secrets themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -e .env && "${1:-}" != --force ]]; then
  echo "compose-env: .env exists (use --force to replace it)" >&2
  exit 0
fi
umask 077
random() { openssl rand -hex "$1"; }
sed -e "s/^KAFKA_ADMIN_PASSWORD=.*/KAFKA_ADMIN_PASSWORD=$(random 16)/" \
    -e "s/^KAFKA_PRODUCER_PASSWORD=.*/KAFKA_PRODUCER_PASSWORD=$(random 16)/" \
    -e "s/^EC_CLUSTER_SECRET=.*/EC_CLUSTER_SECRET=$(random 32)/" \
    -e "s/^EC_ADMIN_TOKEN=.*/EC_ADMIN_TOKEN=$(random 24)/" \
    -e "s/^EC_VIEWER_TOKEN=.*/EC_VIEWER_TOKEN=$(random 24)/" \
    -e "s/^GRAFANA_ADMIN_PASSWORD=.*/GRAFANA_ADMIN_PASSWORD=$(random 16)/" .env.example >.env
echo "compose-env: wrote .env (mode 0600); the web UI and ecctl log in with EC_ADMIN_TOKEN from it," \
     "Grafana as admin with GRAFANA_ADMIN_PASSWORD" >&2
