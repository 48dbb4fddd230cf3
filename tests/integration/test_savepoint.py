"""Savepoints: stop a job with a savepoint, resubmit from it; output continues without a gap or
a repeat. Also a savepoint of a running job, and a bad --from-savepoint refused at submit."""
import json
import uuid
from pathlib import Path

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")


def test_stop_with_savepoint_and_resubmit_continues_without_gap_or_repeat(kafka, tmp_path):
    topic = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic)
    cluster = Cluster(taskmanagers=1, slots=2)
    producer = Producer(tmp_path, "--rate", "2000", "--seed", "11")
    params = dict(hostname="127.0.0.1", port=producer.port,
                  kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic)
    try:
        job = cluster.submit(JOB, **params)
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 1000, 60,
                   "events before the savepoint")
        # A savepoint of a running job: it keeps running.
        running_savepoint = cluster.ecctl("savepoint", job, "--path", str(tmp_path / "sp")).stdout.strip()
        assert (Path(running_savepoint) / "_metadata").is_file()
        assert cluster.state(job) == "RUNNING"

        savepoint = cluster.ecctl("stop", job, "--savepoint-path", str(tmp_path / "sp")).stdout.strip()
        assert savepoint.startswith(str(tmp_path / "sp")) and savepoint != running_savepoint
        cluster.wait_for_state(job, "FINISHED", timeout=30)
        stopped_at = cluster.operator(job, "socket-source")["records_in"]

        resumed = cluster.submit(JOB, from_savepoint=savepoint, **params)
        cluster.wait_for_state(resumed, "RUNNING")
        wait_until(lambda: cluster.operator(resumed, "kafka-sink")["records_out"] >= 1000, 60,
                   "events after resubmitting")
        cluster.ecctl("cancel", resumed)
        cluster.wait_for_state(resumed, "CANCELED")
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=stopped_at + 1000)]
        assert len(seqs) == len(set(seqs)), "an event was written twice"
        assert sorted(seqs) == list(range(len(seqs))), "an event is missing"
        assert len(seqs) >= stopped_at + 1000
    finally:
        producer.stop()
        cluster.close()


def test_unreadable_savepoint_is_refused_at_submit(tmp_path):
    cluster = Cluster(taskmanagers=1)
    try:
        result = cluster.ecctl("submit", JOB, "--from-savepoint", str(tmp_path / "missing"),
                               check=False)
        assert result.returncode != 0
        assert "--from-savepoint" in result.stderr and "missing" in result.stderr
    finally:
        cluster.close()


def test_savepoint_paths_outside_the_savepoint_directories_are_refused(tmp_path):
    """An admin cannot make the JobManager write a savepoint, or read one at submit, outside
    --savepoint-dir and the checkpoint directory, however the path is spelled."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    for d in (allowed / "sp", outside / "sp"):
        d.mkdir(parents=True)
        # Readable savepoint metadata of a job without state.
        (d / "_metadata").write_text('{"operators": {}, "parallelism": 1}')
    (allowed / "link").symlink_to(outside)
    cluster = Cluster(taskmanagers=1, jm_args=("--savepoint-dir", str(allowed)))
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps({"name": "confined", "pipeline": [
        {"type": "socket-source", "hostname": "127.0.0.1", "port": 9},
        {"type": "discard-sink"}]}))
    try:
        for path in ("/etc", str(outside / "sp"), str(allowed / ".." / "outside" / "sp"),
                     str(allowed / "link" / "sp"), "../outside/sp"):
            result = cluster.ecctl("submit", str(job_file), "--from-savepoint", path, check=False)
            assert result.returncode != 0, f"--from-savepoint {path} was accepted"
            assert "is outside the allowed directories" in result.stderr, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        # The same metadata inside is accepted, by absolute and by relative path.
        for path in (str(allowed / "sp"), "sp"):
            assert len(cluster.submit(str(job_file), from_savepoint=path)) == 32
        job = cluster.submit(str(job_file))
        for path in ("/etc", str(allowed / ".." / "outside"), str(allowed / "link")):
            result = cluster.ecctl("savepoint", job, "--path", path, check=False)
            assert result.returncode != 0, f"savepoint --path {path} was accepted"
            assert "is outside the allowed directories" in result.stderr, result.stderr
            result = cluster.ecctl("stop", job, "--savepoint-path", path, check=False)
            assert "is outside the allowed directories" in result.stderr, result.stderr
        assert list(outside.rglob("savepoint-*")) == []
    finally:
        cluster.close()
