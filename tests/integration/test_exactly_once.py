"""Exactly-once: Kafka transactions committed per checkpoint, source resumed from the checkpointed
sequence number. TaskManagers are SIGKILLed while the job runs (fresh ones started); reading the
topic at read_committed gives every seq exactly once."""
import json
import uuid

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")


def test_exactly_once_through_taskmanager_kills(kafka, tmp_path):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    n = 30000
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "5000", "--count", str(n), "--seed", "21")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.sasl, kafka_topic=topic,
                             kafka_security_protocol="SASL_PLAINTEXT",
                             kafka_sasl_username="alice", kafka_sasl_password="alice-secret",
                             delivery_guarantee="exactly-once", checkpoint_interval="500ms",
                             restart_strategy="fixed-delay", restart_attempts=10, restart_delay="200ms")
        cluster.wait_for_state(job, "RUNNING")
        for kill in range(2):
            progress = cluster.operator(job, "socket-source")["records_in"]
            wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 2 * (kill + 1)
                       and cluster.operator(job, "socket-source")["records_in"] > progress + 3000,
                       90, f"checkpoints and progress before kill {kill + 1}")
            cluster.taskmanager_of(job).kill()
            cluster.add_taskmanager(slots=1)  # a fresh one, like a restarted container
            wait_until(lambda: cluster.status(job)["restarts"] == kill + 1, 60, "the restart")
            cluster.wait_for_state(job, "RUNNING", timeout=90)
        # Let the stream end and a final checkpoint commit the tail.
        wait_until(lambda: len(kafka.read_topic(topic, timeout=5)) >= n, 180,
                   "all events committed", interval=2)
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, isolation="read_committed")]
        assert len(seqs) == n, f"{len(seqs) - len(set(seqs))} duplicates, {n - len(set(seqs))} missing"
        assert sorted(seqs) == list(range(n))
        # Both kills really restarted the job (and so fenced the killed attempt's transaction).
        status = cluster.status(job)
        assert status["restarts"] == 2
    finally:
        producer.stop()
        cluster.close()


def test_exactly_once_without_checkpoints_is_refused_at_submit(kafka):
    cluster = Cluster(taskmanagers=1)
    try:
        result = cluster.ecctl("submit", JOB, "--delivery-guarantee", "exactly-once",
                               "--kafka-bootstrap-servers", kafka.plaintext, check=False)
        assert result.returncode != 0
        assert "checkpoint-interval" in result.stderr and "delivery-guarantee" in result.stderr
    finally:
        cluster.close()
