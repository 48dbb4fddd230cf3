"""The original job (examples/job.json) against the broker's SASL_SSL listener, exactly-once,
trusting the broker's test CA through the job parameter kafka.ssl.ca.location (for librdkafka and
for our own protocol client alike). A TaskManager is SIGKILLed after a checkpoint, so the
restored sink describes (and if need be commits) its pre-committed transaction through
KafkaProtocolClient over TLS; at read_committed every seq is there exactly once.

As SCRAM-SHA-512 user carol, and as PLAIN user alice: librdkafka before 2.6.1 (Debian 12 has
2.0.2) cannot authenticate with SCRAM to a Kafka 4.x broker (it repeats the client nonce in its
final message, which 4.x rejects: confluentinc/librdkafka#4895), so there the SCRAM case is
skipped, saying so. Our protocol client's SCRAM over SASL_SSL is tested on its own in
test_kafka_protocol_client.py."""
import ctypes
import uuid

import pytest

from cluster import Cluster, Producer, exactly_once_output, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")
USER = "carol"  # SCRAM only: not in the broker's PLAIN user list
PASSWORD = "carol-scram-512-secret"
TOPIC_PREFIX = "events_tls_eo_"


def librdkafka_version() -> tuple[int, int, int]:
    """The version of the librdkafka our binaries load (the system's librdkafka.so.1)."""
    lib = ctypes.CDLL("librdkafka.so.1")
    lib.rd_kafka_version.restype = ctypes.c_int
    v = lib.rd_kafka_version()
    return (v >> 24) & 0xFF, (v >> 16) & 0xFF, (v >> 8) & 0xFF


def add_scram_user(kafka) -> None:
    """carol: SCRAM-SHA-512 credentials and just what an exactly-once sink of TOPIC_PREFIX* needs."""
    kafka.tool("kafka.admin.ConfigCommand", "--bootstrap-server", kafka.plaintext, "--alter",
               "--add-config", f"SCRAM-SHA-512=[iterations=4096,password={PASSWORD}]",
               "--entity-type", "users", "--entity-name", USER)
    principal = ("--allow-principal", f"User:{USER}")
    kafka.add_acl(*principal, "--resource-pattern-type", "prefixed", "--topic", TOPIC_PREFIX,
                  "--operation", "Write", "--operation", "Describe", "--operation", "Create",
                  "--operation", "DescribeConfigs")
    kafka.add_acl(*principal, "--cluster", "--operation", "IdempotentWrite")
    kafka.add_acl(*principal, "--resource-pattern-type", "prefixed", "--transactional-id", "ec-",
                  "--operation", "Write", "--operation", "Describe")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
def test_exactly_once_over_sasl_ssl_through_a_taskmanager_kill(kafka, tmp_path, mechanism):
    if mechanism == "PLAIN":
        user, password = "alice", "alice-secret"
    else:
        if librdkafka_version() < (2, 6, 1):
            pytest.skip(f"librdkafka {'.'.join(map(str, librdkafka_version()))} < 2.6.1 cannot "
                        "do SCRAM with Kafka 4.x (confluentinc/librdkafka#4895)")
        add_scram_user(kafka)
        user, password = USER, PASSWORD
    topic = kafka.create_job_topics(TOPIC_PREFIX)
    n = 8000
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "1000", "--count", str(n), "--seed", "15")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.sasl_ssl, kafka_topic=topic,
                             kafka_security_protocol="SASL_SSL",
                             kafka_sasl_mechanism=mechanism, kafka_sasl_username=user,
                             kafka_sasl_password=password,
                             **{"kafka.ssl.ca.location": str(kafka.ca_file)},
                             delivery_guarantee="exactly-once", checkpoint_interval="500ms",
                             restart_strategy="fixed-delay", restart_attempts=10,
                             restart_delay="200ms")
        cluster.wait_for_state(job, "RUNNING", timeout=120)
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 1
                   and cluster.operator(job, "kafka-sink")["records_out"] > 0,
                   120, "a completed checkpoint with records sent over SASL_SSL")
        cluster.taskmanager_of(job).kill()
        cluster.add_taskmanager(slots=1)
        wait_until(lambda: cluster.status(job)["restarts"] == 1, 60, "the restart")
        cluster.wait_for_state(job, "RUNNING", timeout=120)
        exactly_once_output(kafka, topic, n)
        logs = cluster.logs()
        # The restored sink looked at the checkpoint's transaction through our protocol client.
        assert "restored transaction of checkpoint" in logs, logs[-5000:]
        assert password not in logs
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
    finally:
        producer.stop()
        cluster.close()


def test_a_sink_that_does_not_trust_the_broker_fails_with_the_tls_reason(kafka, tmp_path):
    """Without kafka.ssl.ca.location the system trust store is used, which does not know the
    test CA: the job cannot open its sink, and says why."""
    topic = f"{TOPIC_PREFIX}{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=1, slots=1)
    producer = Producer(tmp_path, "--rate", "100", "--seed", "16")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.sasl_ssl, kafka_topic=topic,
                             kafka_security_protocol="SASL_SSL", kafka_sasl_username="alice",
                             kafka_sasl_password="alice-secret",
                             delivery_guarantee="exactly-once", checkpoint_interval="500ms",
                             restart_strategy="fixed-delay", restart_attempts=1,
                             restart_delay="200ms")
        # Our protocol client connects first (to recover transactions), and names the broker.
        refused = f"kafka broker {kafka.sasl_ssl}: TLS"
        wait_until(lambda: any(refused in line and "certificate verify failed" in line
                               for line in cluster.logs().splitlines()),
                   120, "the sink's TLS failure in the logs")
        assert kafka.read_topic(topic) == []
        assert cluster.state(job) != "FINISHED"
    finally:
        producer.stop()
        cluster.close()
