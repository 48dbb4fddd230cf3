"""Parallel subtasks: a forward chain at parallelism 3 on three one-slot TaskManagers.

examples/kafka-to-kafka.json (kafka-source → json-parse → windows-event-map → kafka-sink,
exactly-once) runs with --parallelism 3 over a 3-partition input topic: one subtask on each
TaskManager, each reading one partition and writing under its own transactional id, checkpoints
holding every subtask's offsets. One TaskManager is SIGKILLed mid-run and a fresh one started:
all three subtasks restart from the latest completed checkpoint, each with its own offsets. Then
the job is stopped with a savepoint and resubmitted at parallelism 2 (every subtask gets all
old subtasks' offsets and keeps its partitions'). At read_committed the output topic holds every
seq exactly once."""
import json
import urllib.request
import uuid
from pathlib import Path

from cluster import Cluster, Producer, exactly_once_output, free_port, wait_until
from kafka_fixture import source_dir
from test_kafka_source import InputWriter

JOB = str(source_dir() / "examples" / "kafka-to-kafka.json")
N = 30_000


def placement(cluster: Cluster, job: str) -> dict[int, str]:
    """{subtask: TaskManager id} from the REST API (what `ecctl status` shows too)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}",
                                timeout=10) as response:
        status = json.loads(response.read())
    return {s["subtask"]: s["taskmanager_id"] for s in status["operators"][0]["subtasks"]}


def completed_checkpoints(cluster: Cluster, job: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}",
                                timeout=10) as response:
        return json.loads(response.read())["checkpoints"]["completed"]


def process_of(cluster: Cluster, taskmanager_id: str):
    """The live TaskManager process with that id (ids embed the pid: tm-<host>-<pid>-<n>)."""
    return next(p for p in cluster.processes if p.name.startswith("taskmanager") and p.alive()
                and taskmanager_id.split("-")[-2] == str(p.proc.pid))


def test_parallel_job_spreads_restarts_together_and_rescales_exactly_once(kafka, tmp_path):
    suffix = uuid.uuid4().hex[:10]
    in_topic, out_topic = f"events_in_{suffix}", f"events_out_{suffix}"
    kafka.create_topic(in_topic, partitions=3)
    kafka.create_topic(out_topic, partitions=3)
    producer = Producer(tmp_path, "--rate", "0", "--seed", "23")
    lines = producer.events(N)
    producer.stop()
    assert len(lines) == N
    cluster = Cluster(taskmanagers=3, slots=1)
    writer = InputWriter(kafka, in_topic, lines, pause_at=12_000)
    params = dict(input_topic=in_topic, kafka_topic=out_topic, group_id=f"ec-test-{suffix}",
                  kafka_bootstrap_servers=kafka.plaintext, delivery_guarantee="exactly-once",
                  checkpoint_interval="2s", restart_attempts=10, restart_delay="200ms")
    try:
        job = cluster.submit(JOB, parallelism=3, **params)
        cluster.wait_for_state(job, "RUNNING", timeout=120)

        # One subtask on each TaskManager, shown alike by ecctl (JSON and text) and REST.
        taskmanagers = {t["id"] for t in cluster.taskmanager_list()}
        placed = placement(cluster, job)
        assert sorted(placed) == [0, 1, 2] and set(placed.values()) == taskmanagers, placed
        status = cluster.status(job)
        for op in status["operators"]:
            assert {s["subtask"]: s["taskmanager_id"] for s in op["subtasks"]} == placed
            assert all(s["state"] == "RUNNING" for s in op["subtasks"])
        text = cluster.ecctl("status", job).stdout
        assert "SUBTASK" in text and all(tm in text for tm in taskmanagers), text
        assert all(t["free_slots"] == 0 for t in cluster.taskmanager_list())

        writer.start()
        wait_until(lambda: (s := cluster.status(job))["checkpoints"]["completed"] >= 2
                   and cluster.operator(job, "kafka-source")["records_in"] >= 5_000 and s, 180,
                   "checkpoints and progress before the kill")
        # Every subtask's offsets are in the checkpoint, under its own name.
        latest = cluster.status(job)["checkpoints"]["latest"]["path"]
        meta = json.loads((Path(latest) / "_metadata").read_text())
        assert meta["parallelism"] == 3
        assert {"kafka-source#0", "kafka-source#1", "kafka-source#2"} <= set(meta["operators"])

        # The kill lands right after a checkpoint completed, far from the next one: the sink
        # commits its transaction when its subtask snapshots, so a kill between the first
        # subtask's commit and the last one's acknowledgement would write that checkpoint's
        # records twice (see jobmanager/README.md).
        victim_id = placed[1]
        before = completed_checkpoints(cluster, job)
        wait_until(lambda: completed_checkpoints(cluster, job) > before, 60,
                   "a checkpoint to complete", interval=0.02)
        process_of(cluster, victim_id).kill()
        read_before_kill = cluster.operator(job, "kafka-source")["records_in"]
        cluster.add_taskmanager(slots=1)  # a fresh one, like a restarted container
        wait_until(lambda: cluster.status(job)["restarts"] == 1, 60, "the restart")
        cluster.wait_for_state(job, "RUNNING", timeout=120)
        # All three subtasks restarted together, on the two survivors and the new TaskManager.
        replaced = placement(cluster, job)
        live = {t["id"] for t in cluster.taskmanager_list()}
        assert victim_id not in live and set(replaced.values()) == live, (replaced, live)
        assert "lost" in cluster.status(job)["failure"]
        assert read_before_kill < N, "the kill came after the whole input was read"

        # Rescale 3 → 2 through a savepoint: each new subtask is given every old subtask's
        # offsets and keeps those of its partitions.
        wait_until(lambda: completed_checkpoints(cluster, job) > before + 1, 120,
                   "a checkpoint of the restarted subtasks")
        savepoint = cluster.ecctl("stop", job, "--savepoint-path", str(tmp_path / "sp"),
                                  ).stdout.strip()
        cluster.wait_for_state(job, "FINISHED", timeout=60)
        rescaled = cluster.submit(JOB, parallelism=2, from_savepoint=savepoint, **params)
        cluster.wait_for_state(rescaled, "RUNNING", timeout=120)
        assert len(set(placement(cluster, rescaled).values())) == 2
        writer.resume()
        writer.join(300)
        assert writer.error is None, writer.error
        assert writer.written == N

        values = exactly_once_output(kafka, out_topic, N, timeout=300)
        assert all(json.loads(v)["severity"] for v in values[:100])  # mapped, not raw
        assert "from the checkpoint" in cluster.logs()
        cluster.ecctl("cancel", rescaled)
        cluster.wait_for_state(rescaled, "CANCELED")
    finally:
        writer.resume()
        cluster.close()


def test_parallel_job_waits_for_a_slot_per_subtask_and_socket_source_stays_parallelism_1(kafka):
    cluster = Cluster(taskmanagers=2, slots=1)
    try:
        # The socket source is non-parallel, like Flink's socketTextStream: it runs once and
        # feeds the operators after it, which run at the job's parallelism.
        first = cluster.submit(str(source_dir() / "examples" / "job.json"), parallelism=2,
                               hostname="127.0.0.1", port=free_port(),
                               kafka_topic=f"events_out_{uuid.uuid4().hex[:10]}",
                               kafka_bootstrap_servers=kafka.plaintext)
        cluster.wait_for_state(first, "RUNNING", timeout=120)
        assert len(cluster.operator(first, "socket-source")["subtasks"]) == 1
        sink = cluster.operator(first, "kafka-sink")["subtasks"]
        assert len({s["taskmanager_id"] for s in sink}) == 2, sink
        cluster.ecctl("cancel", first)
        cluster.wait_for_state(first, "CANCELED", timeout=60)
        wait_until(lambda: all(t["free_slots"] == 1 for t in cluster.taskmanager_list()), 30,
                   "the slots to be free again")

        # Three subtasks, two slots: nothing is deployed until a third slot comes.
        in_topic = f"events_in_{uuid.uuid4().hex[:10]}"
        kafka.create_topic(in_topic, partitions=3)
        job = cluster.submit(JOB, parallelism=3, input_topic=in_topic,
                             kafka_topic=f"events_out_{uuid.uuid4().hex[:10]}",
                             kafka_bootstrap_servers=kafka.plaintext, slot_timeout="10m")
        assert cluster.state(job) == "CREATED"
        assert all(t["free_slots"] == 1 for t in cluster.taskmanager_list())
        cluster.add_taskmanager(slots=1)
        wait_until(lambda: len(set(placement(cluster, job).values())) == 3, 60,
                   "the three subtasks to be placed")
        cluster.ecctl("cancel", job)
        cluster.wait_for_state(job, "CANCELED", timeout=60)
    finally:
        cluster.close()
