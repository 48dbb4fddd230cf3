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
        victim = cluster.taskmanager_of(job)
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


def test_restart_resumes_from_the_latest_checkpoint(kafka, tmp_path):
    """With checkpoints, the restarted source resumes at the checkpointed sequence number
    (RESUME <seq>) instead of 0: every event arrives, and only the few after the checkpoint twice."""
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "9")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             restart_delay="200ms", checkpoint_interval="300ms")
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 4000, 60,
                   "events before the kill")
        status = wait_until(lambda: (s := cluster.status(job))["checkpoints"]["completed"] >= 2
                            and s, 30, "completed checkpoints")
        latest = status["checkpoints"]["latest"]
        assert latest["size_bytes"] > 0 and latest["duration_ms"] >= 0
        cluster.taskmanager_of(job).kill()
        wait_until(lambda: cluster.status(job)["restarts"] == 1, 30, "the job to restart")
        cluster.wait_for_state(job, "RUNNING", timeout=60)
        wait_until(lambda: "streaming from seq" in producer.log()
                   and any(f"streaming from seq {n}" in producer.log() for n in range(1, 10**6))
                   and producer.log().count("connected: streaming from seq") >= 2, 60,
                   "the restarted source to reconnect")
        resumed_at = [int(line.rsplit(" ", 1)[1]) for line in producer.log().splitlines()
                      if "connected: streaming from seq" in line][-1]
        assert resumed_at > 0, "the restarted source did not resume from its checkpoint"
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events after the restart")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=resumed_at + 1000)]
        assert set(range(max(seqs) + 1)) == set(seqs), "an event is missing"
        duplicates = len(seqs) - len(set(seqs))
        # Only what was written after the checkpoint is written again, not the whole stream.
        assert duplicates < resumed_at / 2, (duplicates, resumed_at)
    finally:
        producer.stop()
        cluster.close()


def test_jobmanager_restart_recovers_the_job_from_its_latest_checkpoint(kafka, tmp_path):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=1, slots=2)
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "17")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             checkpoint_interval="300ms")
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 4000, 60,
                   "events before the JobManager dies")
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 2, 30, "checkpoints")
        cluster.restart_jobmanager()
        # The restarted JobManager knows the job, the TaskManager registers again (cancelling the
        # old epoch's task) and the job runs again from its latest checkpoint.
        cluster.wait_for_state(job, "RUNNING", timeout=90)
        wait_until(lambda: producer.log().count("connected: streaming from seq") >= 2, 60,
                   "the redeployed source to reconnect")
        resumed_at = [int(line.rsplit(" ", 1)[1]) for line in producer.log().splitlines()
                      if "connected: streaming from seq" in line][-1]
        assert resumed_at > 0, "the job did not resume from its checkpoint"
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events after the JobManager restart")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=resumed_at + 1000)]
        assert set(range(max(seqs) + 1)) == set(seqs), "an event is missing"
        assert len(seqs) - len(set(seqs)) < resumed_at / 2
    finally:
        producer.stop()
        cluster.close()


def test_a_job_without_restart_settings_restarts_by_exponential_delay_shown_in_status(kafka,
                                                                                     tmp_path):
    """No restart-* in the job file (the original job, examples/job.json): Flink 2.x's default
    (exponential-delay, unlimited), which ecctl status shows in text and JSON, with the restarts
    so far."""
    spec = json.loads(open(JOB).read())
    assert not any(key.startswith("restart") for key in spec), "the original job sets none"
    job_file = tmp_path / "no-restart-settings.json"
    job_file.write_text(json.dumps(spec))
    cluster = Cluster(taskmanagers=0)  # no slots: the job waits, which is all this needs
    try:
        job = cluster.submit(str(job_file), kafka_bootstrap_servers=kafka.plaintext,
                             kafka_topic=f"events_{uuid.uuid4().hex[:10]}")
        default = "exponential-delay (1s ×1.5 up to 1m, reset after 1h, jitter 0.1, unlimited)"
        text = cluster.ecctl("status", job).stdout
        assert f"restart strategy: {default}\n" in text, text
        assert "restarts: 0\n" in text, text
        status = cluster.status(job)
        assert status["restart_strategy"] == default and status["restarts"] == 0

        bad = cluster.ecctl("submit", str(job_file), "--restart-jitter-factor", "2", check=False)
        assert bad.returncode != 0
        assert "job file: restart-jitter-factor: expected a number from 0 to 1, got '2'" \
            in bad.stderr
        fixed = cluster.submit(JOB, kafka_bootstrap_servers=kafka.plaintext,
                               kafka_topic=f"events_{uuid.uuid4().hex[:10]}",
                               restart_strategy="fixed-delay", restart_attempts=3,
                               restart_delay="1s")
        assert "restart strategy: fixed-delay (1s, 3 attempts)\n" in \
            cluster.ecctl("status", fixed).stdout
    finally:
        cluster.close()
