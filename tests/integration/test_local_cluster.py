"""scripts/cluster.sh: a local cluster as processes (JobManager, three TaskManagers, producer) runs
the original job against the test broker. An idle TaskManager gets SIGTERM: the cluster shrinks at
once and the job runs on untouched. Scaling up and down works while the job runs (idle
TaskManagers go first); stop ends everything. SIGTERM to the job's own TaskManager should restart
the job elsewhere. Another test runs cluster.sh with its own
broker, end to end."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from cluster import bin_dir, wait_until
from kafka_fixture import free_port, source_dir

SCRIPT = source_dir() / "scripts" / "cluster.sh"
JOB = str(source_dir() / "examples" / "job.json")


def _state(pid: int) -> str | None:
    """The process state letter, or None if there is no such process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    return None if state in ("Z", "X") else state


class LocalCluster:
    """scripts/cluster.sh on free ports in a temporary run directory, without its own broker."""

    def __init__(self, with_kafka: bool = False):
        self.dir = Path(tempfile.mkdtemp(prefix="ec-local-cluster-"))
        self.rpc_port, self.rest_port, self.producer_port = free_port(), free_port(), free_port()
        self.address = f"127.0.0.1:{self.rpc_port}"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("EC_")},
                    "EC_BIN_DIR": str(bin_dir()), "EC_CLUSTER_DIR": str(self.dir),
                    "EC_CLUSTER_KAFKA": "0", "EC_JOBMANAGER_RPC_PORT": str(self.rpc_port),
                    "EC_JOBMANAGER_REST_PORT": str(self.rest_port),
                    "EC_PRODUCER_PORT": str(self.producer_port), "EC_PRODUCER_RATE": "200",
                    # Longer than the test waits for the registry to shrink: only the closed
                    # heartbeat stream of a TaskManager that leaves can make it that fast.
                    "EC_HEARTBEAT_TIMEOUT": "60s", "EC_CLUSTER_TIMEOUT": "30"}
        if with_kafka:  # scripts/kafka/start.sh in DIR/kafka, on free ports
            plaintext, sasl, controller = free_port(), free_port(), free_port()
            self.env.update({"EC_CLUSTER_KAFKA": "1", "EC_KAFKA_PLAINTEXT_PORT": str(plaintext),
                             "EC_KAFKA_SASL_PORT": str(sasl),
                             "EC_KAFKA_SASL_SSL_PORT": str(free_port()),
                             "EC_KAFKA_SSL_PORT": str(free_port()),
                             "EC_KAFKA_CONTROLLER_PORT": str(controller)})

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(SCRIPT), *args], env=self.env, capture_output=True, text=True,
                                timeout=180)
        if check and result.returncode != 0:
            raise AssertionError(f"cluster.sh {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}\n{self.logs()}")
        return result

    def ecctl(self, *args: str) -> str:
        # cluster.sh start made the admin's token (secure by default)
        result = subprocess.run([str(bin_dir() / "ecctl"), "--jobmanager", self.address,
                                 "--token-file", str(self.dir / "admin.token"), *args],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"ecctl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def taskmanagers(self) -> list[dict]:
        return json.loads(self.ecctl("taskmanagers", "--output", "json"))

    def status(self, job: str) -> dict:
        return json.loads(self.ecctl("status", job, "--output", "json"))

    def pids(self) -> dict[str, int]:
        """{TaskManager id: pid} of the TaskManagers cluster.sh started (dead ones included)."""
        out = {}
        for pidfile in (self.dir / "taskmanagers").glob("*.pid"):
            tm_id = pidfile.with_suffix(".id").read_text().strip()
            out[tm_id] = int(pidfile.read_text().split()[0])
        return out

    def all_pids(self) -> list[int]:
        return [int(p.read_text().split()[0]) for p in self.dir.rglob("*.pid")
                if p.name != "kafka.pid" and p.read_text().strip()]

    def logs(self) -> str:
        parts = []
        for log in sorted(self.dir.rglob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-30:]
            parts.append(f"----- {log} -----\n" + "\n".join(tail))
        return "\n".join(parts)

    def close(self):
        pids = self.all_pids()
        kafka_pid = self.dir / "kafka" / "kafka.pid"
        if kafka_pid.exists():
            pids.append(int(kafka_pid.read_text().split()[0]))
        try:
            self.run("stop", check=False)
        finally:
            for pid in pids:  # whatever stop did not end
                if _state(pid) is not None:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            shutil.rmtree(self.dir, ignore_errors=True)


def end_offset(kafka, topic: str) -> int:
    """The topic's end offset (partition 0) from the broker. While a job writes continuously,
    kcat -e never sees the end of the partition, so this counts instead of reading."""
    out = subprocess.run(["kcat", "-Q", "-b", kafka.plaintext, "-t", f"{topic}:0:-1"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return int(out.split(" offset ")[1].split()[0])


def first_events(kafka, topic: str, n: int) -> list[dict]:
    out = subprocess.run(["kcat", "-C", "-b", kafka.plaintext, "-t", topic, "-o", "beginning",
                          "-c", str(n), "-q"], capture_output=True, timeout=60, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def wait_for_more(kafka, topic: str, c, job: str, more: int = 20) -> None:
    """New events reach the topic: its end offset and the sink's count grow by MORE."""
    offset, sunk = end_offset(kafka, topic), sink_out(c, job)
    wait_until(lambda: end_offset(kafka, topic) >= offset + more, 30,
               f"{more} more events in {topic}")
    wait_until(lambda: sink_out(c, job) >= sunk + more, 30, f"the sink to write {more} more")


def sink_out(c, job: str) -> int:
    return next(op["records_out"] for op in c.status(job)["operators"]
                if op["name"] == "kafka-sink")


@pytest.fixture
def local_cluster():
    c = LocalCluster()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def topic(kafka):
    name = f"events_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(name)
    kafka.create_topic(name + ".dlq")
    return name


def test_three_taskmanagers_one_terminated_job_keeps_running_then_scale(kafka, topic,
                                                                        local_cluster):
    c = local_cluster
    out = c.run("start", "3")
    assert "3 TaskManager(s)" in out.stderr
    initial = c.taskmanagers()
    assert len(initial) == 3 and all(t["slots"] == 2 for t in initial)
    # The credentials cluster.sh made are its user's alone.
    for name in ("cluster-secret", "tokens", "admin.token"):
        assert (c.dir / name).stat().st_mode & 0o077 == 0, name
    assert {t["id"] for t in initial} == set(c.pids())

    job = c.ecctl("submit", JOB, "--hostname", "127.0.0.1", "--port", str(c.producer_port),
                  "--kafka-bootstrap-servers", kafka.sasl, "--kafka-topic", topic,
                  "--kafka-security-protocol", "SASL_PLAINTEXT", "--kafka-sasl-username", "alice",
                  "--kafka-sasl-password", "alice-secret").strip()
    wait_until(lambda: c.status(job)["state"] == "RUNNING", 60, "the job to run")
    wait_until(lambda: end_offset(kafka, topic) >= 20, 60, f"events in {topic}")
    first = first_events(kafka, topic, 20)
    assert [e["seq"] for e in first] == list(range(20))
    assert {"severity", "processed_at"} <= set(first[0])

    # The TaskManagers that run the job's subtasks, from the status JSON.
    busy = {s["taskmanager_id"] for op in c.status(job)["operators"] for s in op["subtasks"]}
    assert busy and busy <= set(c.pids())
    idle = sorted(set(c.pids()) - busy)
    assert len(idle) == 2, f"parallelism 1 uses one TaskManager; busy: {busy}"
    victim = idle[0]
    pid = c.pids()[victim]

    os.kill(pid, signal.SIGTERM)
    t0 = time.monotonic()
    wait_until(lambda: _state(pid) is None, 20, f"TaskManager {victim} to exit")
    remaining = wait_until(lambda: len(t := c.taskmanagers()) == 2 and t, 5,
                           "the JobManager to drop the terminated TaskManager")
    shrink_seconds = time.monotonic() - t0
    assert victim not in {t["id"] for t in remaining}
    assert shrink_seconds < 5, "the heartbeat timeout is 60 s: the closed stream must be noticed"

    # The job goes on: still RUNNING, and new events keep arriving in the topic.
    assert c.status(job)["state"] == "RUNNING"
    wait_for_more(kafka, topic, c, job)
    assert c.status(job)["state"] == "RUNNING"

    # cluster.sh sees two TaskManagers (the terminated one's pid file is stale).
    status = c.run("status").stdout
    assert status.count("taskmanager  running") == 2, status
    assert victim not in status

    # Scale back up: a new TaskManager (a new id) registers.
    c.run("scale", "3")
    ids = {t["id"] for t in c.taskmanagers()}
    assert len(ids) == 3 and victim not in ids and {t["id"] for t in remaining} < ids

    # Scale down to one: the idle ones go (SIGTERM), the job's TaskManager stays, the job runs on.
    c.run("scale", "1")
    left = c.taskmanagers()
    assert [t["id"] for t in left] == sorted(busy)
    assert c.status(job)["state"] == "RUNNING"
    wait_for_more(kafka, topic, c, job)

    assert c.status(job).get("restarts", 0) == 0, "no task of the job was touched so far"

    c.ecctl("cancel", job)
    wait_until(lambda: c.status(job)["state"] == "CANCELED", 30, "the job to be canceled")

    # stop: every process ends; status says not running.
    pids = c.all_pids()
    c.run("stop")
    assert all(_state(p) is None for p in pids), "processes left after stop"
    assert c.run("status", check=False).returncode == 3


def test_sigterm_to_the_jobs_taskmanager_restarts_the_job_elsewhere(kafka, topic, local_cluster):
    c = local_cluster
    c.run("start", "2")
    job = c.ecctl("submit", JOB, "--hostname", "127.0.0.1", "--port", str(c.producer_port),
                  "--kafka-bootstrap-servers", kafka.sasl, "--kafka-topic", topic,
                  "--kafka-security-protocol", "SASL_PLAINTEXT", "--kafka-sasl-username", "alice",
                  "--kafka-sasl-password", "alice-secret").strip()
    wait_until(lambda: c.status(job)["state"] == "RUNNING", 60, "the job to run")
    wait_until(lambda: end_offset(kafka, topic) >= 20, 60, f"events in {topic}")
    (busy,) = {s["taskmanager_id"] for op in c.status(job)["operators"] for s in op["subtasks"]}
    pid = c.pids()[busy]
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: _state(pid) is None, 45, f"TaskManager {busy} to exit")
    # The job's restart strategy (fixed-delay, 1 s) applies: it runs again on the other one.
    wait_until(lambda: c.status(job).get("restarts", 0) >= 1, 15, "the job to restart")
    status = wait_until(lambda: (st := c.status(job))["state"] == "RUNNING" and st, 30,
                        "the job to run again")
    moved_to = {s["taskmanager_id"] for op in status["operators"] for s in op["subtasks"]}
    assert moved_to == {t["id"] for t in c.taskmanagers()} and busy not in moved_to
    wait_for_more(kafka, topic, c, job)


class _Broker:
    """Just enough of KafkaBroker for end_offset/first_events: the cluster's own broker."""

    def __init__(self, ports_env: Path):
        values = dict(line.split("=", 1) for line in ports_env.read_text().split())
        self.plaintext = f"{values['EC_KAFKA_HOST']}:{values['EC_KAFKA_PLAINTEXT_PORT']}"
        self.sasl = f"{values['EC_KAFKA_HOST']}:{values['EC_KAFKA_SASL_PORT']}"
        self.pid = int(values["EC_KAFKA_PID"])


def test_cluster_script_runs_the_original_pipeline_with_its_own_broker():
    """The process way end to end: cluster.sh starts the local broker (topics and ACLs), the
    JobManager, a TaskManager and the producer; the original job writes to events_processed as
    alice over SASL; stop ends the broker too."""
    c = LocalCluster(with_kafka=True)
    try:
        out = c.run("start")
        broker = _Broker(c.dir / "kafka" / "ports.env")
        assert "--kafka-sasl-username alice" in out.stderr  # it prints the submit command
        assert len(c.taskmanagers()) == 1
        status = c.run("status").stdout
        assert f"kafka        running  pid {broker.pid}" in status
        job = c.ecctl("submit", JOB, "--hostname", "127.0.0.1", "--port", str(c.producer_port),
                      "--kafka-bootstrap-servers", broker.sasl,
                      "--kafka-security-protocol", "SASL_PLAINTEXT",
                      "--kafka-sasl-username", "alice",
                      "--kafka-sasl-password", "alice-secret").strip()
        wait_until(lambda: c.status(job)["state"] == "RUNNING", 60, "the job to run")
        wait_until(lambda: end_offset(broker, "events_processed") >= 10, 60,
                   "events in events_processed")
        assert [e["seq"] for e in first_events(broker, "events_processed", 10)] == list(range(10))
        pids = c.all_pids() + [broker.pid]
        c.run("stop")
        assert all(_state(p) is None for p in pids), "processes left after stop"
    finally:
        c.close()
