"""keyBy and event-time windows across TaskManagers: examples/event-counts.json at parallelism
3 on three one-slot TaskManagers, over a deterministic producer stream (--start-time,
--time-step-ms). The socket source runs once, parsing and timestamps run on all three fed round
robin, and the window counts run on all three behind a hash exchange on (source, level). Every
window written (read_committed) equals the count the test computes from the same events, each
window once; every window that closed well before the stream's end is there. Exactly-once holds
through a SIGKILLed TaskManager."""
import collections
import json
import re
import uuid
from datetime import datetime, timezone

import pytest

from cluster import Cluster, Producer, rest_request, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "event-counts.json")
N = 24_000
STEP_MS = 10  # 1,000 events per 10 s window
START = "2026-01-01T00:00:00.000Z"
SIZE_MS = 10_000


def epoch_ms(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def iso(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def expected_windows(events: list[bytes]) -> dict[tuple, int]:
    counts = collections.Counter()
    for line in events:
        e = json.loads(line)
        ts = epoch_ms(e["timestamp"])
        counts[(ts - ts % SIZE_MS, e["source"], e["level"])] += 1
    return counts


def windows_of(records: list[bytes]) -> list[tuple]:
    out = []
    for r in map(json.loads, records):
        start = epoch_ms(r["window_start"])
        assert r["window_start"] == iso(start) and r["window_end"] == iso(start + SIZE_MS), r
        out.append(((start, r["source"], r["level"]), r["count"]))
    return out


def check_windows(kafka, topic: str, producer: Producer) -> None:
    """Every window written to `topic` (read_committed) once, with the count computed from the
    producer's first N events; every window that closed well before the last event there."""
    events = producer.events(N)
    expected = expected_windows(events)
    last = max(epoch_ms(json.loads(e)["timestamp"]) for e in events)
    # Windows that ended 30 s of event time before the last event have surely closed.
    closed = {k for k in expected if k[0] + SIZE_MS <= last - 30_000}
    assert len(closed) > 10

    def written():
        return windows_of(kafka.read_topic(topic, timeout=5, isolation="read_committed"))

    wait_until(lambda: closed <= {k for k, _ in written()}, 240, "every closed window written",
               interval=2)
    windows = written()
    keys = [k for k, _ in windows]
    assert len(keys) == len(set(keys)), "a window was written twice"
    wrong = [(k, n, expected.get(k)) for k, n in windows if expected.get(k) != n]
    assert not wrong, f"{len(wrong)} windows with wrong counts, e.g. {wrong[:5]}"


def check_watermarks_are_shown(cluster: Cluster, job: str):
    """Flink's /jobs/:jid/vertices/:vid/watermarks, and the TaskManagers' Prometheus gauge."""
    base = f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}"
    vertices = json.loads(rest_request("GET", base)[2])["vertices"]
    [timestamps] = [v for v in vertices if v["name"].split(" -> ")[-1] == "timestamps"]
    status, _, body = rest_request("GET", f"{base}/vertices/{timestamps['id']}/watermarks")
    assert status == 200, body
    marks = json.loads(body)
    assert sorted(m["id"] for m in marks) == [f"{i}.currentOutputWatermark" for i in range(3)]
    assert all(int(m["value"]) > 0 for m in marks), marks
    scraped = ""
    for tm in json.loads(rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}"
                                             f"/taskmanagers")[2])["taskmanagers"]:
        scraped += rest_request("GET", f"http://127.0.0.1:{tm['metricsPort']}/metrics")[2].decode()
    assert re.search(r'_operator_currentOutputWatermark\{[^}]*operator_name="timestamps"[^}]*\} '
                     r'[1-9]', scraped), scraped[-3000:]


def run_windows(kafka, tmp_path, kill: bool):
    topic = f"event_counts_{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=3)
    cluster = Cluster(taskmanagers=3, slots=1)
    producer = Producer(tmp_path, "--rate", "2000", "--count", str(N), "--seed", "5",
                        "--start-time", START, "--time-step-ms", str(STEP_MS))
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port, kafka_topic=topic,
                             kafka_bootstrap_servers=kafka.plaintext)
        cluster.wait_for_state(job, "RUNNING", timeout=120)
        # The counts' three subtasks run on the three TaskManagers.
        tms = {t["id"] for t in cluster.taskmanager_list()}
        counts = cluster.operator(job, "counts")
        assert {s["taskmanager_id"] for s in counts["subtasks"]} == tms, counts
        assert len(cluster.operator(job, "socket-source")["subtasks"]) == 1

        if kill:
            wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 2 and
                       cluster.operator(job, "socket-source")["records_out"] > N // 3,
                       120, "progress and checkpoints before the kill")
            cluster.taskmanager_of(job).kill()
            cluster.add_taskmanager(slots=1)
            wait_until(lambda: cluster.status(job)["restarts"] >= 1, 60, "the restart")
            cluster.wait_for_state(job, "RUNNING", timeout=120)

        check_windows(kafka, topic, producer)
        if not kill:
            check_watermarks_are_shown(cluster, job)
        counts = cluster.operator(job, "counts")
        assert counts["records_dead_letter"] == 0
        # Per channel: each counts subtask reads one channel from each of the three timestamps
        # subtasks, and together they carried every record the counts read.
        for sub in counts["subtasks"]:
            assert sorted(c["channel"].split("->")[0] for c in sub["inputs"]) == \
                ["1.0", "1.1", "1.2"], sub
        # Once the stream has ended: while it flows, a report may fall between two counters.
        wait_until(lambda: (c := cluster.operator(job, "counts"))["records_in"] ==
                   sum(ch["records"] for sub in c["subtasks"] for ch in sub["inputs"]), 60,
                   "the channels' records to add up to the counts' records in")
        (source,) = cluster.operator(job, "socket-source")["subtasks"]
        assert len(source["outputs"]) == 3 and all(c["records"] > 0 for c in source["outputs"])
        if kill:
            assert cluster.status(job)["restarts"] >= 1
        cluster.ecctl("cancel", job)
    finally:
        producer.stop()
        cluster.close()


@pytest.mark.parametrize("kill", [False, True], ids=["calm", "taskmanager-killed"])
def test_event_time_windows_across_three_taskmanagers_are_exact(kafka, tmp_path, kill):
    run_windows(kafka, tmp_path, kill)
