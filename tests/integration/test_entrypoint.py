"""docker/entrypoint.sh, for real against the binaries: the environment a container gets mapped
to the flags of each role, tokens written to private files, and a cluster run from the
environment alone."""
import json
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

from cluster import Process, bin_dir, wait_until
from kafka_fixture import free_port
from test_containers import ENTRYPOINT

def entrypoint(*args: str, env: dict | None = None, dry_run: bool = True) -> list[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EC_")}
    full["EC_BIN_DIR"] = str(bin_dir())
    if dry_run:
        full["EC_ENTRYPOINT_DRY_RUN"] = "1"
    full.update(env or {})
    out = subprocess.run([str(ENTRYPOINT), *args], env=full, capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout.splitlines()


def test_entrypoint_maps_environment_to_flags():
    b = str(bin_dir())
    assert entrypoint("jobmanager", env={
        "EC_JOBMANAGER_RPC_PORT": "7000", "EC_JOBMANAGER_REST_PORT": "7001", "EC_DATA_DIR": "/d",
        "EC_CHECKPOINT_DIR": "/c", "EC_HEARTBEAT_TIMEOUT": "3s",
        "EC_SCHEDULER_MODE": "reactive", "EC_METRICS_PREFIX": "flink"}) == [
        f"{b}/ec-jobmanager", "--rpc-port", "7000", "--rest-port", "7001", "--data-dir", "/d",
        "--checkpoint-dir", "/c", "--heartbeat-timeout", "3s", "--scheduler-mode", "reactive",
        "--metrics-prefix", "flink"]
    # The command line wins over the environment; empty variables are ignored.
    assert entrypoint("taskmanager", "--slots", "3", env={
        "EC_JOBMANAGER": "jobmanager:6123", "EC_TASKMANAGER_SLOTS": "4", "EC_DATA_DIR": "/d",
        "EC_ADVERTISE_HOST": "10.1.2.3", "EC_TASKMANAGER_ID": "tm-a",
        "EC_TASKMANAGER_DATA_PORT": "", "EC_METRICS_PORT": "9249",
        "EC_METRICS_PREFIX": "eventcluster"}) == [
        f"{b}/ec-taskmanager", "--jobmanager", "jobmanager:6123",
        "--data-dir", "/d/taskmanager-tm-a", "--advertise-host", "10.1.2.3", "--id", "tm-a",
        "--metrics-port", "9249", "--metrics-prefix", "eventcluster", "--slots", "3"]
    assert entrypoint("producer", "--port=5",
                      env={"EC_PRODUCER_PORT": "9999", "EC_PRODUCER_RATE": "0"}) \
        == [f"{b}/ec-producer", "--rate", "0", "--port=5"]
    assert entrypoint("consumer", env={"EC_PRODUCER_HOST": "producer", "EC_CONSUMER_COUNT": "3"}) \
        == [f"{b}/ec-consumer", "--host", "producer", "--count", "3"]
    # ecctl submit: EC_JOB_* become job parameters after the file, unless given.
    assert entrypoint("ecctl", "submit", "examples/job.json", "--kafka-topic", "events_x", env={
        "EC_JOB_KAFKA_TOPIC": "events_processed", "EC_JOB_HOSTNAME": "producer",
        "EC_JOB_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}) == [
        f"{b}/ecctl", "submit", "examples/job.json", "--kafka-topic", "events_x",
        "--hostname", "producer", "--kafka-bootstrap-servers", "kafka:9092"]
    assert entrypoint("ecctl", "list", env={"EC_JOB_HOSTNAME": "producer"}) == \
        [f"{b}/ecctl", "list"]
    assert entrypoint("bash", "-c", "true") == ["bash", "-c", "true"]


def test_entrypoint_writes_the_tokens_to_a_private_file():
    """EC_ADMIN_TOKEN and EC_VIEWER_TOKEN reach the binaries as --auth-token-file (the TaskManager:
    its /metrics), a file readable by its owner only; never on the command line."""
    for role, env, lines in (
            ("jobmanager", {"EC_ADMIN_TOKEN": "admin-t0ken", "EC_VIEWER_TOKEN": "viewer-t0ken"},
             ["admin admin admin-t0ken", "viewer viewer viewer-t0ken"]),
            ("taskmanager", {"EC_VIEWER_TOKEN": "viewer-t0ken", "EC_TASKMANAGER_ID": "tm-a"},
             ["viewer viewer viewer-t0ken"])):
        args = entrypoint(role, env=env)
        assert not any("t0ken" in a for a in args), args
        path = Path(args[args.index("--auth-token-file") + 1])
        try:
            assert path.read_text().splitlines() == lines
            assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0
        finally:
            shutil.rmtree(path.parent)
        # A token file on the command line wins; without tokens there is none.
        assert entrypoint(role, "--auth-token-file", "/f", env=env).count("--auth-token-file") == 1
        assert "--auth-token-file" not in entrypoint(role, env={"EC_TASKMANAGER_ID": "tm-a"})


def test_entrypoint_runs_a_cluster_from_the_environment(tmp_path):
    """jobmanager, taskmanager and producer configured by environment only, and the container
    health checks (ec-entrypoint health ROLE) against them."""
    rpc, rest, producer_port = free_port(), free_port(), free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("EC_")}
    base["EC_BIN_DIR"] = str(bin_dir())

    def spawn(name, role, env):
        return Process(name, [str(ENTRYPOINT), role], tmp_path, {**base, **env})

    common = {"EC_JOBMANAGER_RPC_PORT": str(rpc), "EC_JOBMANAGER": f"127.0.0.1:{rpc}",
              "EC_PRODUCER_PORT": str(producer_port),
              "EC_TASKMANAGER_ID": f"tm-{uuid.uuid4().hex[:8]}"}

    def health(role):
        return subprocess.run([str(ENTRYPOINT), "health", role], env={**base, **common},
                              capture_output=True, timeout=30).returncode == 0

    processes = []
    try:
        processes.append(spawn("jobmanager", "jobmanager", {
            **common, "EC_JOBMANAGER_REST_PORT": str(rest), "EC_DATA_DIR": str(tmp_path / "jm"),
            "EC_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}))
        wait_until(lambda: health("jobmanager"), 30, "the JobManager health check")
        assert not health("taskmanager")
        tm = spawn("taskmanager", "taskmanager", {
            **common, "EC_TASKMANAGER_SLOTS": "3", "EC_ADVERTISE_HOST": "127.0.0.1",
            "EC_DATA_DIR": str(tmp_path / "tm")})
        processes.append(tm)
        wait_until(lambda: health("taskmanager"), 30, "the TaskManager health check")
        listed = json.loads(subprocess.run(
            [str(bin_dir() / "ecctl"), "--jobmanager", f"127.0.0.1:{rpc}", "taskmanagers",
             "--output", "json"], capture_output=True, text=True, timeout=30, check=True).stdout)
        assert [(t["id"], t["slots"]) for t in listed] == [(common["EC_TASKMANAGER_ID"], 3)]
        assert listed[0]["address"].startswith("127.0.0.1:")
        # The entrypoint exec'd the binary (same pid, so signals reach it) with the flags.
        cmdline = Path(f"/proc/{tm.proc.pid}/cmdline").read_bytes().split(b"\0")[:-1]
        assert cmdline[0] == str(bin_dir() / "ec-taskmanager").encode()
        data_dir = tmp_path / "tm" / f"taskmanager-{common['EC_TASKMANAGER_ID']}"
        assert [b"--data-dir", str(data_dir).encode()] in \
            [cmdline[i:i + 2] for i in range(len(cmdline))]
        assert (tmp_path / "jm").is_dir()
        processes.append(spawn("producer", "producer", {**common, "EC_PRODUCER_RATE": "0"}))
        wait_until(lambda: health("producer"), 30, "the producer health check")
        # SIGTERM to the TaskManager: it leaves, and its health check fails.
        tm.signal(signal.SIGTERM)
        tm.proc.wait(30)
        wait_until(lambda: not health("taskmanager"), 15, "the TaskManager to leave")
    finally:
        for p in reversed(processes):
            p.stop()
