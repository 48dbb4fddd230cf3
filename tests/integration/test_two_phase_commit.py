"""Exactly-once through any crash: the original job (examples/job.json: socket source, parse, map,
Kafka sink over SASL as alice) at parallelism 3 on three TaskManagers, exactly-once, checkpoints
every 300 ms, against the real broker. Each test crashes it another way: an injected fault point
(EC_FAULT_POINT) in a TaskManager or the JobManager, eight SIGKILLs at random moments, a rescale
3 -> 1 with transactions open, a downtime past the sink's transaction timeout. Every test ends
with every seq exactly once at read_committed, and a record produced afterwards visible at
read_committed: no transaction lingers in front of it."""
import json
import random
import time
import uuid

import pytest

from cluster import Cluster, Producer, exactly_once_output, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")
N = 20_000
RATE = "2000"


class Run:
    """The job and everything around it for one test."""

    def __init__(self, kafka, tmp_path, *, armed_env=None, armed_slots=1, plain=2,
                 jm_env=None, jm_args=(), count=N, rate=RATE, **parameters):
        self.kafka = kafka
        self.count = count
        self.topic = f"events_2pc_{uuid.uuid4().hex[:10]}"
        kafka.create_topic(self.topic)
        self.cluster = Cluster(taskmanagers=0, jm_env=jm_env, jm_args=jm_args)
        self.armed = None
        if armed_env:
            self.armed = self.cluster.add_taskmanager(slots=armed_slots, env=armed_env)
        for _ in range(plain):
            self.cluster.add_taskmanager(slots=1)
        expected = plain + (1 if armed_env else 0)
        wait_until(lambda: len(self.cluster.taskmanager_list()) == expected, 60,
                   f"{expected} TaskManagers")
        self.producer = Producer(tmp_path, "--rate", rate, "--count", str(count), "--seed", "41")
        params = dict(hostname="127.0.0.1", port=self.producer.port,
                      kafka_bootstrap_servers=kafka.sasl, kafka_topic=self.topic,
                      kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="alice",
                      kafka_sasl_password="alice-secret", delivery_guarantee="exactly-once",
                      checkpoint_interval="300ms", parallelism=3, restart_strategy="fixed-delay",
                      restart_attempts=100, restart_delay="200ms")
        params.update(parameters)
        self.job = self.cluster.submit(JOB, **params)
        self.cluster.wait_for_state(self.job, "RUNNING", timeout=120)

    def status(self):
        return self.cluster.status(self.job)

    def wait_checkpoints(self, at_least: int, timeout: float = 90):
        wait_until(lambda: self.status()["checkpoints"]["completed"] >= at_least, timeout,
                   f"{at_least} completed checkpoints")

    def kill_a_taskmanager(self, rng, restarts_before: int) -> None:
        """SIGKILLs a live TaskManager picked by `rng`, adds a fresh one, and waits for the
        job's restart and for it to run again."""
        live = [p for p in self.cluster.processes if p.name.startswith("taskmanager") and p.alive()]
        rng.choice(live).kill()
        self.cluster.add_taskmanager(slots=1)
        wait_until(lambda: self.status()["restarts"] > restarts_before, 60,
                   f"restart {restarts_before + 1}")
        self.cluster.wait_for_state(self.job, "RUNNING", timeout=120)

    def sink_records(self) -> int:
        return self.cluster.operator(self.job, "kafka-sink")["records_out"]

    def check_exactly_once(self):
        # read_committed sees a checkpoint's output when it completes; re-read until it is all
        # there (kcat retried on errors), then check it exactly.
        self.kafka.read_topic(self.topic, expect_count=self.count, timeout=300)
        exactly_once_output(self.kafka, self.topic, self.count, timeout=60)
        # Nothing lingers: a record written now is readable at read_committed.
        marker = json.dumps({"marker": uuid.uuid4().hex})
        assert self.kafka.produce(self.topic, [marker]).returncode == 0
        values = self.kafka.read_topic(self.topic, expect_count=self.count + 1, timeout=60)
        assert marker.encode() in values, \
            "a read_committed reader is blocked by a lingering transaction"

    def transactions(self) -> dict[str, str]:
        """The state of each transactional id of the job's sink the broker knows
        (kafka-transactions.sh list)."""
        listed = self.kafka.tool("org.apache.kafka.tools.TransactionsCommand",
                                 "--bootstrap-server", self.kafka.plaintext, "list")
        rows = (line.split() for line in listed.stdout.decode().splitlines()[1:])
        return {row[0]: row[-1] for row in rows if row and row[0].startswith(f"ec-{self.job}-")}

    def close(self):
        self.producer.stop()
        self.cluster.close()


@pytest.mark.parametrize("point", ["after-snapshot-before-ack:4", "after-complete-before-commit:4",
                                   "between-subtask-commits:5"])
def test_taskmanager_crash_at_a_commit_point(kafka, tmp_path, point):
    # The armed TaskManager holds two of the three sink subtasks (two slots), so that
    # between-subtask-commits falls between two of its subtasks' commits.
    run = Run(kafka, tmp_path, armed_env={"EC_FAULT_POINT": point}, armed_slots=2, plain=1)
    try:
        run.cluster.add_taskmanager(slots=2)  # where its subtasks go after the crash
        wait_until(lambda: not run.armed.alive(), 120, f"the fault point {point}")
        assert "fault point " + point.split(":")[0] in run.armed.log()
        wait_until(lambda: run.status()["restarts"] >= 1, 60, "the restart")
        run.check_exactly_once()
    finally:
        run.close()


@pytest.mark.parametrize("point", ["during-recovery-commit:1", "during-lingering-abort:2"])
def test_taskmanager_crash_while_recovering(kafka, tmp_path, point):
    # The points are reached on a restore: SIGKILL a plain TaskManager to make one.
    run = Run(kafka, tmp_path, armed_env={"EC_FAULT_POINT": point}, plain=2)
    try:
        run.wait_checkpoints(3)
        victim = next(p for p in run.cluster.processes
                      if p.name.startswith("taskmanager") and p is not run.armed)
        victim.kill()
        run.cluster.add_taskmanager(slots=1)
        run.cluster.add_taskmanager(slots=1)  # for the armed one's subtask after it dies
        wait_until(lambda: not run.armed.alive(), 120, f"the fault point {point}")
        assert "fault point " + point.split(":")[0] in run.armed.log()
        run.check_exactly_once()
    finally:
        run.close()


def test_jobmanager_crash_between_completion_and_notification(kafka, tmp_path):
    run = Run(kafka, tmp_path, jm_env={"EC_FAULT_POINT": "after-complete-before-notify:5"},
              plain=3)
    try:
        wait_until(lambda: not run.cluster.jobmanager.alive(), 120,
                   "the JobManager's fault point")
        assert "fault point after-complete-before-notify" in run.cluster.jobmanager.log()
        run.cluster.restart_jobmanager()  # without the fault point
        run.check_exactly_once()
    finally:
        run.close()


def test_eight_taskmanager_sigkills_at_random_moments(kafka, tmp_path):
    rng = random.Random(8)
    run = Run(kafka, tmp_path, plain=3)
    try:
        for kill in range(8):
            time.sleep(rng.uniform(0.2, 1.5))
            run.kill_a_taskmanager(rng, restarts_before=kill)
        run.check_exactly_once()
        assert run.status()["restarts"] >= 8
        # The pool is bounded: 3 sink subtasks x (1 concurrent checkpoint + 2) ids, whatever the
        # restarts (Flink's KafkaSink leaks a new id per checkpoint and attempt).
        ids = run.transactions()
        assert 3 <= len(ids) <= 9, sorted(ids)
    finally:
        run.close()


@pytest.mark.slow  # about 2-3 minutes on 2 cores
def test_pool_stays_bounded_over_twenty_restarts_with_one_second_checkpoints(kafka, tmp_path):
    # Issue 13's soak: 1 s checkpoints, 20 restarts (a TaskManager SIGKILLed and replaced each
    # time, after the job took a checkpoint since the last one), records flowing throughout.
    rng = random.Random(20)
    run = Run(kafka, tmp_path, plain=3, count=100_000, rate="1000", checkpoint_interval="1s")
    try:
        for kill in range(20):
            completed = run.status()["checkpoints"]["completed"]
            run.wait_checkpoints(completed + 1, timeout=120)
            time.sleep(rng.uniform(0, 1))  # anywhere in the checkpoint cycle
            run.kill_a_taskmanager(rng, restarts_before=kill)
        run.check_exactly_once()
        assert run.status()["restarts"] >= 20
        # subtasks x (concurrent checkpoints + 2) = 3 x (1 + 2)
        ids = run.transactions()
        assert 3 <= len(ids) <= 9, sorted(ids)
    finally:
        run.close()


def test_rescale_three_to_one_with_transactions_open(kafka, tmp_path):
    run = Run(kafka, tmp_path, plain=3)
    try:
        run.wait_checkpoints(3)
        run.cluster.ecctl("rescale", run.job, "--parallelism", "1")
        wait_until(lambda: run.status()["state"] == "RUNNING"
                   and len(run.cluster.operator(run.job, "kafka-sink")["subtasks"]) == 1,
                   120, "the job at parallelism 1")
        run.check_exactly_once()
    finally:
        run.close()


def test_rescale_five_to_one_with_transactions_open(kafka, tmp_path):
    # Reactive mode runs the job on the slots there are: five 1-slot TaskManagers, five sink
    # subtasks. All five die mid-stream, leaving each subtask's current transaction open (and
    # maybe pre-committed ones waiting for their commit); one 1-slot TaskManager brings the job
    # back at parallelism 1 from the latest checkpoint. Its one sink subtask commits the five
    # pools' pre-committed transactions and fences the rest of them. A transaction timeout
    # longer than every wait below makes a lingering transaction fail the test, not just slow
    # it down.
    run = Run(kafka, tmp_path, plain=5, parallelism=5, transaction_timeout="10m",
              jm_args=("--scheduler-mode", "reactive"))
    try:
        assert len(run.cluster.operator(run.job, "kafka-sink")["subtasks"]) == 5
        run.wait_checkpoints(3)
        wait_until(lambda: run.sink_records() >= 2000, 60, "records through the sinks")
        for p in run.cluster.processes:
            if p.name.startswith("taskmanager"):
                p.kill()
        wait_until(lambda: not run.cluster.taskmanager_list(), 60, "the TaskManagers' loss")
        prefix = f"ec-{run.job}-kafka-sink"
        vanished = {f"{prefix}-{s}-{slot}" for s in range(1, 5) for slot in range(3)}
        open_before = {i for i, state in run.transactions().items() if state == "Ongoing"}
        assert open_before & vanished, f"no transaction left open: {sorted(open_before)}"
        restored = run.cluster.add_taskmanager(slots=1)
        wait_until(lambda: run.status()["state"] == "RUNNING"
                   and len(run.cluster.operator(run.job, "kafka-sink")["subtasks"]) == 1,
                   120, "the job at parallelism 1")
        run.check_exactly_once()
        log = restored.log()
        for i in sorted(vanished):
            assert f"fenced transactional id '{i}'" in log, i
        still_open = {i for i, state in run.transactions().items() if state == "Ongoing"}
        assert not still_open & vanished, sorted(still_open)
    finally:
        run.close()


def test_downtime_past_the_transaction_timeout_falls_back_to_an_older_checkpoint(kafka, tmp_path):
    # The JobManager dies after completing a checkpoint, before telling the sinks to commit it;
    # the TaskManagers die too; the downtime outlasts the 4 s transaction timeout, so the broker
    # aborts that checkpoint's pre-committed transactions. The restore finds them aborted, the
    # JobManager retires that checkpoint and restores the one before, and the replay from there
    # writes the aborted records again.
    run = Run(kafka, tmp_path, plain=3, transaction_timeout="4s",
              jm_env={"EC_FAULT_POINT": "after-complete-before-notify:6"})
    try:
        wait_until(lambda: not run.cluster.jobmanager.alive(), 120,
                   "the JobManager's fault point")
        for p in run.cluster.processes:
            if p.name.startswith("taskmanager"):
                p.kill()
        time.sleep(8)  # past the transaction timeout and the broker's 1 s abort sweep
        run.cluster.restart_jobmanager()
        for _ in range(3):
            run.cluster.add_taskmanager(slots=1)
        run.check_exactly_once()
        log = run.cluster.jobmanager.log()
        assert "retired (its pre-committed output was aborted by the broker)" in log, log[-3000:]
    finally:
        run.close()
