"""Restart strategy: a lost TaskManager or a failed task restarts the job on the slots left."""
import json
import time
import uuid

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")


def test_killed_taskmanager_restarts_the_job_on_another_and_nothing_is_lost(kafka, tmp_path):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "5")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             restart_delay="200ms")
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events before the kill")
        placed_on = cluster.status(job)["operators"][0]["subtasks"][0]["taskmanager_id"]
        victim = next(p for p in cluster.processes if p.name.startswith("taskmanager")
                      and placed_on.split("-")[-2] == str(p.proc.pid))
        killed_at = time.monotonic()
        victim.kill()
        wait_until(lambda: cluster.status(job)["restarts"] == 1, 30, "the job to restart")
        detected = time.monotonic() - killed_at
        status = cluster.wait_for_state(job, "RUNNING", timeout=60)
        assert status["operators"][0]["subtasks"][0]["taskmanager_id"] != placed_on
        assert "lost" in status["failure"]
        assert detected < 10, f"loss noticed after {detected:.1f}s"
        # At-least-once without checkpoints: the new attempt reads the producer's stream again
        # from 0, so events after the kill arrive and no sequence number is missing.
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events after the restart")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = {json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=2000)}
        assert seqs >= set(range(1000))
        assert len(cluster.taskmanager_list()) == 1
    finally:
        producer.stop()
        cluster.close()
