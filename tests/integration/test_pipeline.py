"""The original pipeline end to end: ec-producer → socket source → JSON parse → map → Kafka,
submitted with ecctl to a real JobManager and TaskManager, read back with kcat."""
import json
import time
import uuid

import pytest

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")
MAPPED_FIELDS = ["seq", "timestamp", "source", "level", "severity", "event_id", "computer", "user",
                 "message", "processed_at"]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(taskmanagers=1, slots=2)
    yield c
    c.close()


@pytest.fixture
def topic(kafka):
    name = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(name)
    kafka.create_topic(name + ".dlq")
    return name


def sasl_params(kafka, topic, user="alice", password="alice-secret", **extra):
    params = {"kafka_bootstrap_servers": kafka.sasl, "kafka_topic": topic,
              "kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": user,
              "kafka_sasl_password": password}
    params.update(extra)
    return params


def expected_mapping(raw: dict) -> dict:
    """What the map must make of a producer event (processed_at aside)."""
    return {"seq": raw["seq"], "timestamp": raw["timestamp"], "source": raw["source"],
            "level": raw["level"], "severity": raw["level"].lower().replace(" ", "_"),
            "event_id": raw["event_id"], "computer": raw["computer"].lower(), "user": raw["user"],
            "message": raw["message"]}


def test_all_events_reach_the_topic_through_sasl_exactly_once(kafka, cluster, topic, tmp_path):
    n = 5000
    producer = Producer(tmp_path, "--count", str(n), "--rate", "0", "--seed", "7",
                        "--start-time", "2026-01-01T00:00:00.000Z", "--time-step-ms", "10")
    try:
        raw_events = [json.loads(line) for line in producer.events(n)]
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             **sasl_params(kafka, topic))
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= n, 120,
                   "the sink to acknowledge every event")
        records = kafka.read_topic(topic, expect_count=n + 1, timeout=5)
        assert len(records) == n
        mapped = [json.loads(r) for r in records]
        assert sorted(m["seq"] for m in mapped) == list(range(n))
        by_seq = {m["seq"]: m for m in mapped}
        for raw in raw_events:
            got = by_seq[raw["seq"]]
            assert list(got.keys()) == MAPPED_FIELDS
            assert {k: got[k] for k in MAPPED_FIELDS if k != "processed_at"} == expected_mapping(raw)
        status = cluster.status(job)
        assert status["state"] == "RUNNING"
        source = status["operators"][0]
        assert source["name"] == "socket-source"
        assert source["records_in"] == n and source["records_out"] == n
        assert source["bytes_in"] > 0 and source["bytes_out"] > 0
        assert kafka.read_topic(topic + ".dlq") == []
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
    finally:
        producer.stop()


@pytest.mark.parametrize("user,password,reason", [
    ("bob", "bob-secret", "not authorized"),
    ("alice", "wrong-password-1234", "authentication failed"),
])
def test_bad_credentials_fail_the_job_with_a_reason_and_no_secret(kafka, cluster, topic, tmp_path,
                                                                   user, password, reason):
    producer = Producer(tmp_path, "--rate", "100")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             **sasl_params(kafka, topic, user=user, password=password))
        status = cluster.wait_for_state(job, "FAILED", timeout=90)
        assert reason in status["failure"], status["failure"]
        assert f"'{user}'" in status["failure"]
        shown = cluster.ecctl("status", job, "--output", "json").stdout + \
            cluster.ecctl("status", job).stdout + cluster.ecctl("list").stdout
        assert password not in shown
        assert password not in cluster.logs()
    finally:
        producer.stop()


def test_producer_restart_keeps_the_job_running_and_events_resume(kafka, cluster, topic, tmp_path):
    producer = Producer(tmp_path, "--rate", "500", "--seed", "3", name="producer-a")
    port = producer.port
    job = cluster.submit(JOB, hostname="127.0.0.1", port=port, **sasl_params(kafka, topic))
    try:
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= 500, 60,
                   "events before the producer stops")
        producer.kill()
        before = cluster.operator(job, "socket-source")["records_in"]
        # Down for a while: the source retries with backoff; the job must stay RUNNING throughout.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert cluster.state(job) == "RUNNING"
            time.sleep(0.5)
        assert "retry" in cluster.logs()
        producer = Producer(tmp_path, "--rate", "500", "--seed", "3", port=port, name="producer-b")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= before + 500, 60,
                   "events after the producer is back")
        assert cluster.state(job) == "RUNNING"
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
        seqs = [json.loads(r)["seq"] for r in kafka.read_topic(topic, expect_count=before + 500)]
        # The source resumed where it stopped (RESUME <seq>): no sequence number is missing.
        assert set(range(max(seqs) + 1)) <= set(seqs)
    finally:
        cluster.ecctl("cancel", job, check=False)
        producer.stop()


def test_cancel_ends_the_job_canceled_and_frees_its_slots(kafka, cluster, topic, tmp_path):
    producer = Producer(tmp_path, "--rate", "1000")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             **sasl_params(kafka, topic))
        cluster.wait_for_state(job, "RUNNING")
        total = sum(tm["slots"] for tm in cluster.taskmanager_list())
        assert sum(tm["free_slots"] for tm in cluster.taskmanager_list()) == total - 1
        started = time.monotonic()
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED", timeout=15)
        assert time.monotonic() - started < 15
        wait_until(lambda: sum(tm["free_slots"] for tm in cluster.taskmanager_list()) == total, 15,
                   "the job's slot to be free again")
        assert job in cluster.ecctl("list").stdout
    finally:
        producer.stop()


def test_malformed_lines_go_to_the_dead_letter_topic(kafka, cluster, topic, tmp_path):
    n = 2000
    producer = Producer(tmp_path, "--count", str(n), "--rate", "0", "--malformed-every", "10",
                        "--start-time", "2026-01-01T00:00:00.000Z", "--time-step-ms", "5")
    try:
        lines = producer.events(n)
        malformed = [line for i, line in enumerate(lines) if i % 10 == 9]
        good = [json.loads(line) for i, line in enumerate(lines) if i % 10 != 9]
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             **sasl_params(kafka, topic))
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_out"] >= len(good), 120,
                   "the good events to be acknowledged")
        dead = kafka.read_topic(topic + ".dlq", expect_count=len(malformed), timeout=60)
        main = kafka.read_topic(topic, expect_count=len(good) + 1, timeout=5)
        assert sorted(dead) == sorted(malformed)
        assert sorted(json.loads(r)["seq"] for r in main) == sorted(e["seq"] for e in good)
        status = cluster.status(job)
        assert status["state"] == "RUNNING"
        assert sum(op["records_dead_letter"] for op in status["operators"]) == len(malformed)
        cluster.ecctl("cancel", job)
    finally:
        producer.stop()


def test_invalid_job_file_is_refused_at_submit_naming_the_field(cluster, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "pipeline": [
        {"type": "socket-source", "hostname": "h", "port": "99999"},
        {"type": "discard-sink"}]}))
    result = cluster.ecctl("submit", str(bad), check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "pipeline[0].port" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cluster.ecctl("submit", JOB, "--port", "not-a-port", check=False)
    assert result.returncode != 0 and "port" in result.stderr
