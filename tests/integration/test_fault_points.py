"""EC_FAULT_POINT: an unknown point is refused at start; an armed point kills its process as
SIGKILL would at the Nth reach, and the job recovers on another TaskManager."""
import json
import os
import signal
import subprocess
import uuid

from cluster import Cluster, Producer, bin_dir, wait_until
from kafka_fixture import free_port, source_dir

JOB = str(source_dir() / "examples" / "job.json")
TASKMANAGER_POINTS = ["after-snapshot-before-ack", "after-complete-before-commit",
                      "between-subtask-commits", "during-recovery-commit", "during-lingering-abort"]


def run_with_fault_point(binary: str, value: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, EC_FAULT_POINT=value)
    return subprocess.run([str(bin_dir() / binary), *args], env=env, capture_output=True,
                          text=True, timeout=30)


def test_unknown_fault_point_is_refused_at_start(tmp_path):
    jobmanager = f"127.0.0.1:{free_port()}"  # nothing listens: the check comes first
    result = run_with_fault_point("ec-taskmanager", "after-lunch", "--jobmanager", jobmanager,
                                  "--data-dir", str(tmp_path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "EC_FAULT_POINT=after-lunch" in lines[0] and "unknown fault point" in lines[0]
    assert all(name in lines[0] for name in TASKMANAGER_POINTS), lines[0]

    # A point of the other process kind and a bad count are refused the same way.
    result = run_with_fault_point("ec-jobmanager", "after-snapshot-before-ack", "--rpc-port",
                                  str(free_port()), "--rest-port", "0", "--data-dir",
                                  str(tmp_path / "jm"))
    assert result.returncode != 0
    assert "EC_FAULT_POINT" in result.stderr and "after-complete-before-notify" in result.stderr
    result = run_with_fault_point("ec-taskmanager", "after-snapshot-before-ack:0",
                                  "--jobmanager", jobmanager, "--data-dir", str(tmp_path))
    assert result.returncode != 0 and "bad count '0'" in result.stderr


def test_taskmanager_dies_at_its_second_snapshot_and_the_job_recovers_elsewhere(kafka, tmp_path):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=0)
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "13")
    try:
        # The armed TaskManager is the only one when the job is placed, so the job runs there.
        doomed = cluster.add_taskmanager(slots=1, env={"EC_FAULT_POINT":
                                                       "after-snapshot-before-ack:2"})
        wait_until(lambda: len(cluster.taskmanager_list()) == 1, 60, "the armed TaskManager")
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             checkpoint_interval="1s", restart_strategy="fixed-delay",
                             restart_attempts=5, restart_delay="200ms")
        cluster.wait_for_state(job, "RUNNING")
        cluster.add_taskmanager(slots=1)  # where the job goes after the kill

        wait_until(lambda: not doomed.alive(), 60, "the armed TaskManager to die")
        assert doomed.proc.returncode == -signal.SIGKILL, doomed.proc.returncode
        log = doomed.log()
        assert "fault point after-snapshot-before-ack reached (2): killing the process" in log
        assert log.count("fault point") == 1  # the first reach let it live on

        wait_until(lambda: cluster.status(job)["restarts"] >= 1, 60, "the job to restart")
        status = cluster.wait_for_state(job, "RUNNING", timeout=60)
        placed_on = status["operators"][0]["subtasks"][0]["taskmanager_id"]
        assert placed_on.split("-")[-2] != str(doomed.proc.pid)
        text = cluster.ecctl("status", job).stdout
        assert "restart strategy: fixed-delay (200ms, 5 attempts)\n" in text, text
        assert f"restarts: {status['restarts']}\n" in text, text
        # It checkpoints again on the new TaskManager, and events flow on.
        completed = status["checkpoints"]["completed"]
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= completed + 2, 60,
                   "checkpoints after the recovery")
        out = cluster.operator(job, "kafka-sink")["records_out"]
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= out + 1000, 60,
                   "events after the recovery")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = {json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=1000)}
        assert seqs >= set(range(1000))
    finally:
        producer.stop()
        cluster.close()


def test_jobmanager_dies_after_completing_a_checkpoint_and_recovers_from_it(kafka, tmp_path,
                                                                            monkeypatch):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    # Only the JobManager is started with the point armed; the TaskManager without it.
    monkeypatch.setenv("EC_FAULT_POINT", "after-complete-before-notify")
    cluster = Cluster(taskmanagers=0)
    monkeypatch.delenv("EC_FAULT_POINT")
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "17")
    try:
        cluster.add_taskmanager(slots=1)
        wait_until(lambda: len(cluster.taskmanager_list()) == 1, 60, "the TaskManager")
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             checkpoint_interval="1s")
        doomed = cluster.jobmanager
        wait_until(lambda: not doomed.alive(), 60, "the armed JobManager to die")
        assert doomed.proc.returncode == -signal.SIGKILL, doomed.proc.returncode
        assert "fault point after-complete-before-notify reached (1)" in doomed.log()

        cluster.restart_jobmanager()  # the environment no longer arms it
        status = wait_until(lambda: (s := cluster.status(job))["state"] == "RUNNING"
                            and s["checkpoints"]["latest"]["id"] >= 2 and s, 90,
                            "the recovered job to checkpoint again")
        assert status["checkpoints"]["latest"]["id"] >= 2
    finally:
        producer.stop()
        cluster.close()
