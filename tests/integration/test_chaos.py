"""Chaos: 200K events through the original job (1 s checkpoints) while the TaskManager running it
is SIGKILLed twice (a fresh one started each time), the broker is restarted once and the
JobManager once. Exactly-once: at read_committed every seq from 0 to N-1 is there exactly once.
At-least-once: every seq is there at least once."""
import json
import time
import uuid

import pytest

from cluster import Cluster, Producer, wait_until
from kafka_fixture import KafkaError, source_dir

JOB = str(source_dir() / "examples" / "job.json")
N = 200_000


def unique_seqs(kafka, topic, timeout=20):
    """The distinct seqs in the topic; empty while kcat cannot reach the end of a topic that is
    still growing (at-least-once output has no transaction boundary to stop at)."""
    try:
        return {json.loads(r)["seq"] for r in kafka.read_topic(topic, timeout=timeout)}
    except KafkaError:
        return set()


@pytest.mark.parametrize("guarantee", ["exactly-once", "at-least-once"])
def test_every_event_arrives_through_kills_and_restarts(own_kafka, tmp_path, guarantee):
    kafka = own_kafka
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "8000", "--count", str(N), "--seed", "31")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             delivery_guarantee=guarantee, checkpoint_interval="1s",
                             delivery_timeout="10s", restart_strategy="fixed-delay", restart_attempts=30, restart_delay="500ms")
        cluster.wait_for_state(job, "RUNNING")

        def progressed(records):
            return lambda: cluster.state(job) == "RUNNING" and \
                cluster.operator(job, "socket-source")["records_in"] > records

        def disrupt(what, action):
            seen = cluster.operator(job, "socket-source")["records_in"]
            wait_until(progressed(seen + 10000), 120, f"progress before {what}")
            action()
            wait_until(lambda: cluster.ecctl("list", check=False).returncode == 0, 60,
                       "the JobManager")
            wait_until(lambda: cluster.state(job) == "RUNNING", 180, f"RUNNING after {what}")

        def kill_taskmanager():
            cluster.taskmanager_of(job).kill()
            cluster.add_taskmanager(slots=1)
            wait_until(lambda: cluster.status(job)["restarts"] >= 1 or
                       cluster.state(job) != "RUNNING", 30, "the loss to be noticed")

        def restart_broker():
            kafka.stop()
            time.sleep(2)  # down long enough for the sink to notice, well under its timeout
            kafka.start()

        disrupt("the first TaskManager kill", kill_taskmanager)
        disrupt("the broker restart", restart_broker)
        disrupt("the JobManager restart", cluster.restart_jobmanager)
        disrupt("the second TaskManager kill", kill_taskmanager)

        wait_until(lambda: len(unique_seqs(kafka, topic)) >= N, 600, "all events committed",
                   interval=5)
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, isolation="read_committed")]
        missing = N - len(set(seqs))
        assert set(seqs) == set(range(N)), f"{missing} missing"
        if guarantee == "exactly-once":
            assert len(seqs) == N, f"{len(seqs) - N} duplicates"
        assert cluster.status(job)["restarts"] >= 2  # the kills really restarted the job
        cluster.ecctl("cancel", job)
    finally:
        producer.stop()
        cluster.close()
