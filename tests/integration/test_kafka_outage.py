"""Kafka unreachable for longer than the sink's delivery timeout: the task fails, the restart
strategy applies, the job resumes from its last checkpoint once Kafka is back, nothing is lost."""
import json
import uuid

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")


def test_kafka_outage_past_the_delivery_timeout_restarts_from_the_checkpoint(own_kafka, tmp_path):
    kafka = own_kafka
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=1, slots=2)
    producer = Producer(tmp_path, "--rate", "1000", "--seed", "13")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             delivery_timeout="3s",
                             checkpoint_interval="500ms", restart_strategy="fixed-delay", restart_attempts=50,
                             restart_delay="500ms")
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events before the outage")
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 1, 30, "a checkpoint")
        kafka.stop()
        status = wait_until(lambda: (s := cluster.status(job))["restarts"] >= 1 and s, 60,
                            "the sink to give up and the job to restart")
        assert "delivery timeout" in status["failure"] or "acknowledged" in status["failure"], \
            status["failure"]
        assert status["state"] in ("RESTARTING", "CREATED", "RUNNING")
        kafka.start()
        cluster.wait_for_state(job, "RUNNING", timeout=90)
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 90,
                   "events after Kafka is back")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = {json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=2000)}
        assert seqs == set(range(max(seqs) + 1)), "an event was lost"
    finally:
        producer.stop()
        cluster.close()
