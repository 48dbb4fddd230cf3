"""Keyed state survives failures: the running counts per (source, level) of a job whose
TaskManager is SIGKILLed twice equal those of the same job run beside it without failures, and
both equal the counts the test computes from the producer's events."""
import collections
import json
import uuid
from pathlib import Path

from cluster import Cluster, Producer, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "keyed-counts.json")
N = 30_000


def expected_counts(events: list[bytes]) -> list[tuple]:
    seen = collections.Counter()
    out = []
    for line in events:
        event = json.loads(line)
        key = (event["source"], event["level"])
        seen[key] += 1
        out.append((*key, seen[key]))
    return sorted(out)


def counts_of(records: list[bytes]) -> list[tuple]:
    return sorted((r["source"], r["level"], r["count"]) for r in map(json.loads, records))


def test_counts_after_failures_equal_a_run_without_failures(kafka, tmp_path):
    calm_topic, chaos_topic = (f"events_counts_{uuid.uuid4().hex[:8]}" for _ in range(2))
    for topic in (calm_topic, chaos_topic):
        kafka.create_topic(topic)
    # One slot per TaskManager: the two jobs run on different ones, and only one is killed.
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "3000", "--count", str(N), "--seed", "77")
    try:
        common = dict(hostname="127.0.0.1", port=producer.port,
                      kafka_bootstrap_servers=kafka.plaintext)
        calm = cluster.submit(JOB, kafka_topic=calm_topic, **common)
        chaos = cluster.submit(JOB, kafka_topic=chaos_topic, **common)
        cluster.wait_for_state(calm, "RUNNING")
        cluster.wait_for_state(chaos, "RUNNING")

        for kill in range(2):
            seen = cluster.operator(chaos, "socket-source")["records_in"]
            wait_until(lambda: cluster.state(chaos) == "RUNNING" and
                       cluster.status(chaos)["checkpoints"]["completed"] >= 2 * (kill + 1) and
                       cluster.operator(chaos, "socket-source")["records_in"] > seen + 4000,
                       120, f"progress and checkpoints before kill {kill + 1}")
            cluster.taskmanager_of(chaos).kill()
            cluster.add_taskmanager(slots=1)
            wait_until(lambda: cluster.status(chaos)["restarts"] >= kill + 1, 60,
                       f"restart after kill {kill + 1}")
            cluster.wait_for_state(chaos, "RUNNING", timeout=120)

        for topic in (calm_topic, chaos_topic):
            wait_until(lambda: len(kafka.read_topic(topic, timeout=10,
                                                    isolation="read_committed")) >= N,
                       300, f"{N} counts in {topic}", interval=3)
        assert cluster.status(calm)["restarts"] == 0
        assert cluster.status(chaos)["restarts"] >= 2
        # The keyed state was snapshotted as RocksDB files into the job's checkpoint directory.
        shared = Path(cluster.dir) / "jm" / "checkpoints" / chaos / "shared"
        assert any(f.name.endswith(".sst") for f in shared.iterdir())

        calm_counts = counts_of(kafka.read_topic(calm_topic, isolation="read_committed"))
        chaos_counts = counts_of(kafka.read_topic(chaos_topic, isolation="read_committed"))
        expected = expected_counts(producer.events(N))
        assert calm_counts == expected
        assert chaos_counts == calm_counts
        cluster.ecctl("cancel", calm)
        cluster.ecctl("cancel", chaos)
    finally:
        producer.stop()
        cluster.close()
