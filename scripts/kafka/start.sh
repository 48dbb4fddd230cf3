#!/usr/bin/env bash
# Starts a real single-node KRaft Kafka broker (Apache Kafka 4.2 jars from scripts/kafka/lib) in the
# background, waits until every client listener answers metadata requests, then (unless --no-setup)
# creates the topics and ACLs the EventCluster tests expect. Idempotent: if a broker is already
# running for DIR it exits 0 at once. See scripts/kafka/README.md.
#
# Usage: start.sh [--dir DIR] [--plaintext-port N] [--sasl-port N] [--sasl-ssl-port N]
#                 [--ssl-port N] [--controller-port N] [--host HOST] [--bind ADDR]
#                 [--partitions N] [--timeout SECS] [--no-setup]   (a TLS port of 0: no listener)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${EC_KAFKA_LIB:-$here/lib}"
java_bin="${EC_JAVA:-java}"

dir="${EC_KAFKA_DIR:-/tmp/ec-kafka}"
plaintext_port="${EC_KAFKA_PLAINTEXT_PORT:-9092}"
sasl_port="${EC_KAFKA_SASL_PORT:-9094}"
sasl_ssl_port="${EC_KAFKA_SASL_SSL_PORT:-9095}"
ssl_port="${EC_KAFKA_SSL_PORT:-9096}"
controller_port="${EC_KAFKA_CONTROLLER_PORT:-9093}"
host="${EC_KAFKA_HOST:-127.0.0.1}"
bind="${EC_KAFKA_BIND:-}"
partitions="${EC_KAFKA_PARTITIONS:-1}"
timeout="${EC_KAFKA_START_TIMEOUT:-120}"
setup=1

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --plaintext-port) plaintext_port="$2"; shift 2 ;;
    --sasl-port) sasl_port="$2"; shift 2 ;;
    --sasl-ssl-port) sasl_ssl_port="$2"; shift 2 ;;
    --ssl-port) ssl_port="$2"; shift 2 ;;
    --controller-port) controller_port="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --bind) bind="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --no-setup) setup=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [[ -z "$bind" ]]; then
  case "$host" in 127.*|localhost) bind=127.0.0.1 ;; *) bind=0.0.0.0 ;; esac
fi

log() { echo "[kafka start] $*" >&2; }
die() { echo "[kafka start] ERROR: $*" >&2; exit 1; }

if ! ls "$lib"/kafka_2.13-*.jar >/dev/null 2>&1; then
  die "no Kafka jars in $lib; run scripts/kafka/fetch.sh first"
fi
command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
if [[ "$sasl_ssl_port" != 0 || "$ssl_port" != 0 ]]; then
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl), or pass --sasl-ssl-port 0 --ssl-port 0"
fi

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/kafka.pid"
marker="-Dec.kafka.dir=$dir"

# True if PID is a live broker JVM started by this script for $dir.
is_our_broker() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  local cmd
  cmd="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  grep -qxF -- "$marker" <<<"$cmd" && grep -qxF kafka.Kafka <<<"$cmd"
}

if [[ -f "$pidfile" ]] && is_our_broker "$(cat "$pidfile")"; then
  log "broker already running for $dir (pid $(cat "$pidfile"))"
  exit 0
fi
rm -f "$pidfile"
for p in /proc/[0-9]*; do  # pid file lost, broker still running?
  if is_our_broker "${p#/proc/}"; then
    echo "${p#/proc/}" >"$pidfile"
    log "broker already running for $dir (pid ${p#/proc/}; pid file restored)"
    exit 0
  fi
done

# ---------------------------------------------------------------- configuration (rewritten each start)
cat >"$dir/log4j2.properties" <<EOF
status = warn
name = ec-kafka-broker
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/broker.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRefs = file
rootLogger.appenderRef.file.ref = FILE
# A few INFO lines that tell the story of a start/stop without flooding the file.
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = INFO
logger.brokerserver.name = kafka.server.BrokerServer
logger.brokerserver.level = INFO
logger.controllerserver.name = kafka.server.ControllerServer
logger.controllerserver.level = INFO
logger.kafka.name = kafka.Kafka\$
logger.kafka.level = INFO
EOF

cat >"$dir/tools-log4j2.properties" <<EOF
status = warn
name = ec-kafka-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF

# ---------------------------------------------------------------- TLS material (DIR/tls)
# A throwaway CA and a broker certificate signed by it, for the SSL and SASL_SSL listeners. Made
# once per DIR (kept across restarts, so clients holding DIR/tls/ca.pem keep working) and again
# when the advertised host changes. Clients verify the broker with ssl.ca.location=DIR/tls/ca.pem.
tls="$dir/tls"
make_tls() {
  local san="IP:127.0.0.1,DNS:localhost"
  if [[ "$host" != 127.0.0.1 && "$host" != localhost ]]; then
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then san="$san,IP:$host"; else san="$san,DNS:$host"; fi
  fi
  if [[ -s "$tls/broker-keystore.pem" && "$(cat "$tls/san" 2>/dev/null)" == "$san" ]]; then return 0; fi
  log "making a test CA and a broker certificate in $tls ($san)"
  rm -rf "$tls.tmp"; mkdir -p "$tls.tmp"
  local t="$tls.tmp" out
  # EC P-256 keys: quick to make; unencrypted PKCS#8 PEM, which Kafka's PEM key store reads.
  if ! out="$(exec 2>&1; set -e
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=EventCluster test CA" -keyout "$t/ca.key" -out "$t/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$host" -keyout "$t/broker.key" -out "$t/broker.csr"
      printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
        "$san" >"$t/broker.ext"
      openssl x509 -req -in "$t/broker.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$t/broker.ext" -out "$t/broker.pem"
      cat "$t/broker.key" "$t/broker.pem" "$t/ca.pem" >"$t/broker-keystore.pem"
      echo "$san" >"$t/san"
      chmod 600 "$t/ca.key" "$t/broker.key" "$t/broker-keystore.pem"
      rm -f "$t/broker.csr" "$t/broker.ext")"; then
    echo "$out" >&2
    die "making the TLS certificates failed"
  fi
  rm -rf "$tls"; mv "$t" "$tls"
}
listeners="PLAINTEXT://$bind:$plaintext_port,SASL_PLAINTEXT://$bind:$sasl_port"
advertised="PLAINTEXT://$host:$plaintext_port,SASL_PLAINTEXT://$host:$sasl_port"
protocol_map="PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
if [[ "$sasl_ssl_port" != 0 ]]; then
  listeners+=",SASL_SSL://$bind:$sasl_ssl_port"; advertised+=",SASL_SSL://$host:$sasl_ssl_port"
  protocol_map+=",SASL_SSL:SASL_SSL"
fi
if [[ "$ssl_port" != 0 ]]; then
  listeners+=",SSL://$bind:$ssl_port"; advertised+=",SSL://$host:$ssl_port"
  protocol_map+=",SSL:SSL"
fi
ca_file=""
tls_properties="# TLS: no SSL or SASL_SSL listener."
if [[ "$sasl_ssl_port" != 0 || "$ssl_port" != 0 ]]; then
  make_tls
  ca_file="$tls/ca.pem"
  tls_properties="# TLS (SSL and SASL_SSL listeners): PEM files from DIR/tls, no client certificates.
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
ssl.client.auth=none"
fi

jaas='org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";'

cat >"$dir/server.properties" <<EOF
# Generated by scripts/kafka/start.sh; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

# Security: PLAINTEXT and SSL clients (and the controller listener) are User:ANONYMOUS, a super
# user (SSL asks for no client certificate: it is the admin path over TLS).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:admin
allow.everyone.if.no.acl.found=false
# PLAIN users are in the JAAS line; SCRAM users are added by tests with kafka-configs.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

$tls_properties

# Small single node.
num.partitions=1
default.replication.factor=1
offsets.topic.num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Abort timed-out transactions within a second of their timeout (default: checked every 10 s).
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
share.coordinator.state.topic.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
log.cleaner.dedupe.buffer.size=16777216
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.segment.bytes=67108864
log.retention.hours=24
EOF

cat >"$dir/admin.properties" <<EOF
security.protocol=PLAINTEXT
request.timeout.ms=20000
default.api.timeout.ms=60000
EOF

# ---------------------------------------------------------------- JVM options
cp="$lib/*"
common_jvm=(-XX:+UseSerialGC -XX:-UsePerfData -Djava.awt.headless=true -Dfile.encoding=UTF-8 "-Xlog:cds*=off")
broker_jvm=(-Xmx512m -Xms256m -XX:MaxMetaspaceSize=256m -XX:+ExitOnOutOfMemoryError
            -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$dir" "$marker")
# Short-lived CLI tools: C1 only.
tools_jvm=(-Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$dir/tools-log4j2.properties")

# Class-data-sharing archives (JDK dynamic CDS) roughly halve JVM start-up: ~3 s -> ~2 s for the
# broker, ~1.2 s -> ~0.5 s per CLI tool. They are created on first use and cached next to the jars
# (or in DIR if that is read-only), keyed by JVM and jar set. The broker's archive is written when a
# broker without one exits cleanly (stop.sh moves it into place); a tool's when the tool exits.
java_real="$(readlink -f "$(command -v "$java_bin")")"
cds_key="$( { echo "$java_real"; stat -c %Y "$java_real"; ls -l "$lib"; echo v1; } | md5sum | cut -c1-12)"
cds_dir="${EC_KAFKA_CDS_DIR:-$lib/.cds}"
if ! mkdir -p "$cds_dir" 2>/dev/null || [[ ! -w "$cds_dir" ]]; then
  cds_dir="$dir/.cds"; mkdir -p "$cds_dir"
fi
tools_jsa="$cds_dir/tools-$cds_key.jsa"
broker_jsa="$cds_dir/broker-$cds_key.jsa"
[[ "${EC_KAFKA_NO_CDS:-0}" == 1 ]] && tools_jsa="" && broker_jsa=""

run_tool() { # run_tool MAIN_CLASS ARGS...
  local cds=() tmp="" rc=0
  if [[ -n "$tools_jsa" && -s "$tools_jsa" ]]; then
    cds=(-XX:SharedArchiveFile="$tools_jsa")
  elif [[ -n "$tools_jsa" && "${no_dump:-0}" != 1 ]]; then
    tmp="$tools_jsa.tmp.$BASHPID"
    cds=(-XX:ArchiveClassesAtExit="$tmp")
  fi
  "$java_bin" "${common_jvm[@]}" "${tools_jvm[@]}" "${cds[@]}" -cp "$cp" "$@" || rc=$?
  if [[ -n "$tmp" ]]; then
    if [[ $rc -eq 0 && -s "$tmp" ]]; then mv -f "$tmp" "$tools_jsa"; else rm -f "$tmp"; fi
  fi
  return $rc
}

# ---------------------------------------------------------------- format storage once
if [[ ! -f "$dir/data/meta.properties" ]]; then
  cluster_id=""
  while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do  # base64url of 16 random bytes = a Kafka Uuid
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "formatting $dir/data (cluster id $cluster_id)"
  if ! out="$(no_dump=1 run_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" 2>&1)"; then
    echo "$out" >&2
    die "storage format failed"
  fi
fi

# ---------------------------------------------------------------- launch
broker_cds=()
if [[ -f "$dir/cds-pending" ]]; then  # left by a broker that did not stop through stop.sh
  read -r pending_tmp _ <"$dir/cds-pending" || true
  rm -f "${pending_tmp:-/nonexistent}" "$dir/cds-pending"
fi
if [[ -n "$broker_jsa" && -s "$broker_jsa" ]]; then
  broker_cds=(-XX:SharedArchiveFile="$broker_jsa")
elif [[ -n "$broker_jsa" ]]; then
  pending_tmp="$broker_jsa.tmp.$$"
  broker_cds=(-XX:ArchiveClassesAtExit="$pending_tmp")
  echo "$pending_tmp $broker_jsa" >"$dir/cds-pending"
fi

tls_port_text() { if [[ "$1" == 0 ]]; then echo off; else echo "$host:$1"; fi; }
log "starting broker: dir=$dir plaintext=$host:$plaintext_port sasl=$host:$sasl_port" \
    "sasl_ssl=$(tls_port_text "$sasl_ssl_port") ssl=$(tls_port_text "$ssl_port") controller=127.0.0.1:$controller_port"
{ echo; echo "===== start $(date -Is) ====="; } >>"$dir/broker.out"
# setsid: the broker outlives the caller's terminal/process group; the inner shell records its own
# pid and then execs the JVM, so the pid file holds the JVM's pid.
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
  "$java_bin" "${common_jvm[@]}" "${broker_jvm[@]}" "${broker_cds[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" \
  </dev/null >>"$dir/broker.out" 2>&1 &
launcher=$!

# ---------------------------------------------------------------- wait for readiness
sasl_admin=(-X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN
            -X sasl.username=admin -X sasl.password=admin-secret)
sasl_ssl_admin=(-X security.protocol=SASL_SSL -X ssl.ca.location="$tls/ca.pem" -X sasl.mechanisms=PLAIN
                -X sasl.username=admin -X sasl.password=admin-secret)
ssl_anonymous=(-X security.protocol=SSL -X ssl.ca.location="$tls/ca.pem")
metadata_ok() { # metadata_ok BROKER [kcat -X args...]
  local b="$1"; shift
  local out
  out="$(timeout 15 kcat -L -b "$b" -m 5 "$@" 2>/dev/null)" || return 1
  grep -q "broker 1 at" <<<"$out"
}

fail() {
  echo "[kafka start] ERROR: $*" >&2
  if [[ -s "$dir/broker.log" ]] && grep -qE '^\[[^]]*\] (ERROR|FATAL)|^Caused by' "$dir/broker.log"; then
    echo "----- errors in $dir/broker.log -----" >&2
    grep -E '^\[[^]]*\] (ERROR|FATAL)|^Caused by' "$dir/broker.log" | tail -n 10 >&2
  fi
  for f in broker.out broker.log; do
    if [[ -s "$dir/$f" ]]; then
      echo "----- tail of $dir/$f -----" >&2
      tail -n 30 "$dir/$f" >&2
    fi
  done
  exit 1
}

start_ts=$SECONDS
deadline=$((SECONDS + timeout))
pid=""
plain_ready=0
sasl_ready=0
sasl_ssl_ready=0; [[ "$sasl_ssl_port" == 0 ]] && sasl_ssl_ready=1
ssl_ready=0; [[ "$ssl_port" == 0 ]] && ssl_ready=1
while :; do
  [[ -z "$pid" && -s "$pidfile" ]] && pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"
    fail "broker process $pid exited during startup"
  fi
  if [[ -z "$pid" ]] && ! kill -0 "$launcher" 2>/dev/null && [[ ! -s "$pidfile" ]]; then
    fail "broker launcher exited during startup"
  fi
  if [[ $plain_ready -eq 0 ]] && metadata_ok "127.0.0.1:$plaintext_port"; then plain_ready=1; fi
  if [[ $plain_ready -eq 1 ]]; then  # the others open with it: no need to ask them before
    if [[ $sasl_ready -eq 0 ]] && metadata_ok "127.0.0.1:$sasl_port" "${sasl_admin[@]}"; then sasl_ready=1; fi
    if [[ $sasl_ssl_ready -eq 0 ]] && metadata_ok "127.0.0.1:$sasl_ssl_port" "${sasl_ssl_admin[@]}"; then
      sasl_ssl_ready=1
    fi
    if [[ $ssl_ready -eq 0 ]] && metadata_ok "127.0.0.1:$ssl_port" "${ssl_anonymous[@]}"; then ssl_ready=1; fi
    if [[ $sasl_ready -eq 1 && $sasl_ssl_ready -eq 1 && $ssl_ready -eq 1 ]]; then break; fi
  fi
  if (( SECONDS >= deadline )); then
    "$here/stop.sh" --dir "$dir" >/dev/null 2>&1 || true
    fail "broker not ready after ${timeout}s (listeners ready: plaintext $plain_ready, sasl $sasl_ready, sasl_ssl $sasl_ssl_ready, ssl $ssl_ready); stopped it"
  fi
  sleep 0.5
done
pid="$(cat "$pidfile")"
log "broker ready after $((SECONDS - start_ts))s (pid $pid)"

cat >"$dir/ports.env" <<EOF
EC_KAFKA_DIR=$dir
EC_KAFKA_HOST=$host
EC_KAFKA_PLAINTEXT_PORT=$plaintext_port
EC_KAFKA_SASL_PORT=$sasl_port
EC_KAFKA_SASL_SSL_PORT=$sasl_ssl_port
EC_KAFKA_SSL_PORT=$ssl_port
EC_KAFKA_CA_FILE=$ca_file
EC_KAFKA_CONTROLLER_PORT=$controller_port
EC_KAFKA_PID=$pid
EOF

# DIR/tool.args: the command prefix for running a Kafka CLI tool against this broker (one argument
# per line; append the main class and its arguments). Used by the test fixture.
write_tool_args() {
  {
    printf '%s\n' "$java_bin" "${common_jvm[@]}" "${tools_jvm[@]}"
    if [[ -n "$tools_jsa" && -s "$tools_jsa" ]]; then printf '%s\n' "-XX:SharedArchiveFile=$tools_jsa"; fi
    printf '%s\n' -cp "$cp"
  } >"$dir/tool.args.tmp"
  mv -f "$dir/tool.args.tmp" "$dir/tool.args"
}
write_tool_args

# ---------------------------------------------------------------- topics and ACLs
if [[ $setup -eq 0 ]]; then exit 0; fi
setup_stamp="topics=events_processed,events_processed.dlq partitions=$partitions acl=v1"
if [[ -f "$dir/setup.done" && "$(cat "$dir/setup.done")" == "$setup_stamp" ]]; then
  log "topics and ACLs already set up (kept in $dir/data)"
  exit 0
fi
setup_ts=$SECONDS
bs=(--bootstrap-server "127.0.0.1:$plaintext_port" --command-config "$dir/admin.properties")

run_setup_step() { # run_setup_step NAME MAIN ARGS...
  local name="$1"; shift
  local out
  if ! out="$(run_tool "$@" 2>&1)"; then
    echo "$out" >&2
    echo "[kafka start] ERROR: setup step failed: $name" >&2
    return 1
  fi
}
topic() { run_setup_step "topic $1" org.apache.kafka.tools.TopicCommand "${bs[@]}" --create --if-not-exists \
            --topic "$1" --partitions "$partitions" --replication-factor 1; }
acl() { run_setup_step "acl $*" org.apache.kafka.tools.AclCommand "${bs[@]}" --add --force \
          --allow-principal User:alice "$@"; }

steps=(
  "topic events_processed"
  "topic events_processed.dlq"
  # alice: produce/consume/create on every topic named events_*.
  "acl --resource-pattern-type prefixed --topic events_ --operation Write --operation Describe --operation Create --operation Read --operation DescribeConfigs"
  # alice: idempotent + transactional producer (exactly-once), any transactional id.
  "acl --cluster --operation IdempotentWrite"
  "acl --transactional-id * --operation Write --operation Describe"
  # alice: consumer groups (any).
  "acl --group * --operation Read --operation Describe"
)
# Each step is a JVM (~0.5 s with the class-data archive, much more on a loaded box): run them two
# at a time. Without an archive yet, the first step runs alone and creates it for the others.
set -f  # the steps are split on blanks unquoted: no globbing of '*'
i=0
if [[ -n "$tools_jsa" && ! -s "$tools_jsa" ]]; then
  ${steps[0]} || fail "setup failed"
  i=1
fi
while (( i < ${#steps[@]} )); do
  pids=()
  for ((j = i; j < i + 2 && j < ${#steps[@]}; j++)); do
    ${steps[j]} & pids+=($!)
  done
  i=$j
  rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [[ $rc -eq 0 ]] || fail "setup failed"
done
set +f
write_tool_args  # now with the tools' class-data archive
echo "$setup_stamp" >"$dir/setup.done"
log "topics and ACLs set up in $((SECONDS - setup_ts))s"
