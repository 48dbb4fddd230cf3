"""Rescaling keyed state: examples/event-counts.json (windows per source and level, RocksDB
keyed state behind a hash exchange) rescaled while it runs, by `ecctl rescale` and by the
reactive scheduler as TaskManagers join and leave. The job stops after a checkpoint, its key
groups are redistributed over the new subtasks, and the windows written (read_committed) are
still exactly the counts the test computes from the producer's events."""
import signal
import uuid

from cluster import Cluster, Producer, wait_until
from test_windows import JOB, N, START, STEP_MS, check_windows


def counts_parallelism(cluster: Cluster, job: str) -> int:
    return len(cluster.operator(job, "counts")["subtasks"])


def progress(cluster: Cluster, job: str) -> None:
    """Waits for 2,000 more records read by the source and another completed checkpoint."""
    cluster.wait_for_state(job, "RUNNING", timeout=120)
    done = cluster.status(job)["checkpoints"]["completed"]
    base = cluster.operator(job, "socket-source")["records_out"]
    wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] > done and
               cluster.operator(job, "socket-source")["records_out"] > base + 2_000,
               120, "progress and a checkpoint")


def start(kafka, tmp_path, cluster: Cluster, **params):
    topic = f"event_counts_{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=3)
    producer = Producer(tmp_path, "--rate", "1000", "--count", str(N), "--seed", "9",
                        "--start-time", START, "--time-step-ms", str(STEP_MS))
    job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port, kafka_topic=topic,
                         kafka_bootstrap_servers=kafka.plaintext, **params)
    cluster.wait_for_state(job, "RUNNING", timeout=120)
    return topic, producer, job


def test_ecctl_rescale_redistributes_keyed_state_exactly(kafka, tmp_path):
    cluster = Cluster(taskmanagers=2, slots=2)
    producer = None
    try:
        topic, producer, job = start(kafka, tmp_path, cluster, parallelism=2)
        assert counts_parallelism(cluster, job) == 2
        progress(cluster, job)
        cluster.ecctl("rescale", job, "--parallelism", "4")
        wait_until(lambda: cluster.state(job) == "RUNNING" and counts_parallelism(cluster, job) == 4,
                   120, "the job to run at parallelism 4")
        progress(cluster, job)
        cluster.ecctl("rescale", job, "--parallelism", "1")
        wait_until(lambda: cluster.state(job) == "RUNNING" and counts_parallelism(cluster, job) == 1,
                   120, "the job to run at parallelism 1")
        assert cluster.status(job)["restarts"] == 0  # a rescale is not a failure
        check_windows(kafka, topic, producer)
        cluster.ecctl("cancel", job)
    finally:
        if producer:
            producer.stop()
        cluster.close()


def test_reactive_mode_follows_taskmanagers_joining_and_leaving(kafka, tmp_path):
    cluster = Cluster(taskmanagers=2, slots=1, jm_args=("--scheduler-mode", "reactive"))
    producer = None
    try:
        topic, producer, job = start(kafka, tmp_path, cluster, restart_delay="200ms")
        assert counts_parallelism(cluster, job) == 2
        progress(cluster, job)
        third = cluster.add_taskmanager(slots=1)
        wait_until(lambda: cluster.state(job) == "RUNNING" and counts_parallelism(cluster, job) == 3,
                   120, "the job to grow to the third TaskManager")
        progress(cluster, job)
        third.signal(signal.SIGTERM)
        wait_until(lambda: cluster.state(job) == "RUNNING" and counts_parallelism(cluster, job) == 2,
                   120, "the job to shrink back to two TaskManagers")
        check_windows(kafka, topic, producer)
        cluster.ecctl("cancel", job)
    finally:
        if producer:
            producer.stop()
        cluster.close()
