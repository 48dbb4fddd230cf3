"""Kafka source: a job reading a topic, killed and restored, neither skips nor repeats.

examples/kafka-to-kafka.json (kafka-source → json-parse → windows-event-map → kafka-sink,
exactly-once, 1 s checkpoints) reads N ec-producer events from a 3-partition input topic while
they are being written; the TaskManager running it is SIGKILLed mid-run and a fresh one started.
At read_committed the output topic holds every seq from 0 to N-1 exactly once, and the consumer
group's committed offsets (from Kafka's own consumer-groups tool) reach the end of the input."""
import json
import re
import subprocess
import threading
import time
import uuid

from cluster import Cluster, Producer, exactly_once_output, rest_request, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "kafka-to-kafka.json")
N = 50_000
CHUNK = 1000


def committed_offsets(kafka, group: str, topic: str) -> dict[int, int]:
    """{partition: committed offset} of GROUP on TOPIC, as kafka-consumer-groups --describe
    shows them."""
    proc = kafka.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                      "--bootstrap-server", kafka.plaintext, "--describe", "--group", group,
                      check=False, timeout=120)
    offsets = {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
        cols = line.split()
        if len(cols) >= 4 and cols[0] == group and cols[1] == topic and cols[3].isdigit():
            offsets[int(cols[2])] = int(cols[3])
    return offsets


class InputWriter(threading.Thread):
    """Writes the events to the input topic with one kcat -P, a chunk at a time, so the job reads
    while they arrive; stops after `pause_at` events until resume() is called."""

    def __init__(self, kafka, topic: str, lines: list[bytes], pause_at: int):
        super().__init__(daemon=True)
        self.kafka, self.topic, self.lines, self.pause_at = kafka, topic, lines, pause_at
        self.written = 0
        self.error = None
        self._resume = threading.Event()

    def resume(self):
        self._resume.set()

    def run(self):
        proc = subprocess.Popen(["kcat", "-P", "-t", self.topic,
                                 *self.kafka.kcat_args("sasl", "alice")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            for start in range(0, len(self.lines), CHUNK):
                if start >= self.pause_at:
                    self._resume.wait(300)
                proc.stdin.write(b"".join(line + b"\n" for line in self.lines[start:start + CHUNK]))
                proc.stdin.flush()
                self.written = min(start + CHUNK, len(self.lines))
                time.sleep(0.1)
            _, err = proc.communicate(timeout=120)  # closes stdin: kcat flushes and exits
            if proc.returncode != 0:
                self.error = f"kcat -P exited {proc.returncode}: {err.decode(errors='replace')}"
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)
            proc.kill()


def source_gauges(cluster: Cluster, topic: str) -> tuple[int, int]:
    """The sums over `topic`'s partitions of the Kafka source's currentOffset and lag, as the
    live TaskManagers' GET /metrics show them."""
    text = ""
    for tm in cluster.taskmanager_list():
        port = json.loads(rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}"
                                              f"/taskmanagers/{tm['id']}")[2])["metricsPort"]
        try:
            text += rest_request("GET", f"http://127.0.0.1:{port}/metrics")[2].decode()
        except OSError:
            continue  # the killed one, until the JobManager has noticed
    total = {}
    for name in ("currentOffset", "lag"):
        values = re.findall(rf'_KafkaSourceReader_topic_partition_{name}\{{[^}}]*topic="{topic}"'
                            rf'[^}}]*\}} (\d+)', text)
        total[name] = sum(int(v) for v in values) if len(values) == 3 else -1
    return total["currentOffset"], total["lag"]


def test_kafka_source_killed_and_restored_neither_skips_nor_repeats(kafka, tmp_path):
    suffix = uuid.uuid4().hex[:10]
    in_topic, out_topic, group = f"events_in_{suffix}", f"events_out_{suffix}", f"ec-test-{suffix}"
    kafka.create_topic(in_topic, partitions=3)
    kafka.create_topic(out_topic)
    producer = Producer(tmp_path, "--rate", "0", "--seed", "41")
    lines = producer.events(N)
    producer.stop()
    assert len(lines) == N
    cluster = Cluster(taskmanagers=2, slots=1)
    writer = InputWriter(kafka, in_topic, lines, pause_at=30_000)
    try:
        job = cluster.submit(JOB, input_topic=in_topic, kafka_topic=out_topic, group_id=group,
                             kafka_bootstrap_servers=kafka.sasl,
                             kafka_security_protocol="SASL_PLAINTEXT",
                             kafka_sasl_username="alice", kafka_sasl_password="alice-secret",
                             delivery_guarantee="exactly-once", checkpoint_interval="1s",
                             restart_attempts=10, restart_delay="200ms")
        cluster.wait_for_state(job, "RUNNING")
        writer.start()
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 2
                   and cluster.operator(job, "kafka-source")["records_in"] >= 10_000, 120,
                   "checkpoints and progress before the kill")
        read_before_kill = cluster.operator(job, "kafka-source")["records_in"]
        cluster.taskmanager_of(job).kill()
        cluster.add_taskmanager(slots=1)  # a fresh one, like a restarted container
        wait_until(lambda: cluster.status(job)["restarts"] == 1, 60, "the restart")
        cluster.wait_for_state(job, "RUNNING", timeout=90)
        writer.resume()
        writer.join(300)
        assert writer.error is None, writer.error
        assert writer.written == N
        assert read_before_kill < N, "the kill came after the whole input was read"

        values = exactly_once_output(kafka, out_topic, N, timeout=240)
        assert all(json.loads(v)["severity"] for v in values[:100])  # mapped, not raw

        # The restarted attempt resumed from the checkpoint, not from the group or the start.
        assert "from the checkpoint" in cluster.logs()
        assert cluster.status(job)["restarts"] == 1
        # Completed checkpoints commit their offsets: the group reaches the end of the input.
        wait_until(lambda: sum(committed_offsets(kafka, group, in_topic).values()) == N, 180,
                   "the group's committed offsets to reach the end of the input", interval=2)
        assert "alice-secret" not in cluster.logs()
        # The TaskManagers' Prometheus gauges: every partition read to its end, nothing pending.
        wait_until(lambda: source_gauges(cluster, in_topic) == (N, 0), 60,
                   "the source's offsets and lag in the TaskManagers' metrics")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED")
    finally:
        writer.resume()
        cluster.close()


def test_kafka_source_settings_and_missing_topic_fail_clearly(kafka):
    cluster = Cluster(taskmanagers=1)
    try:
        bad = cluster.ecctl("submit", JOB, "--kafka-bootstrap-servers", kafka.plaintext,
                            "--start-from", "beginning", check=False)
        assert bad.returncode != 0
        assert "pipeline[0].start-from" in bad.stderr and "beginning" in bad.stderr

        missing = f"events_missing_{uuid.uuid4().hex[:10]}"
        job = cluster.submit(JOB, input_topic=missing, kafka_bootstrap_servers=kafka.plaintext,
                             kafka_topic=f"events_out_{uuid.uuid4().hex[:10]}")
        status = cluster.wait_for_state(job, "FAILED", timeout=90)
        assert f"topic '{missing}'" in status["failure"] and "does not exist" in status["failure"]
        assert status["restarts"] == 0  # the user's error: retrying cannot help
        assert missing not in kafka.list_topics()  # asking for it did not auto-create it
    finally:
        cluster.close()
