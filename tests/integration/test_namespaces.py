"""No hidden localhost assumptions: the original pipeline end to end across Linux network
namespaces.

Every process gets its own network namespace and its own address on a private bridge:

    <prefix>-sw       the switch: bridge br0 and one veth end per node (nothing else)
    <prefix>-jm       10.250.0.2   ec-jobmanager (--rpc-port 6123)
    <prefix>-tm1      10.250.0.3   ec-taskmanager (no --advertise-host: it must find its address)
    <prefix>-tm2      10.250.0.4   ec-taskmanager
    <prefix>-prod     10.250.0.5   ec-producer (--port 9999)
    <prefix>-kafka    10.250.0.6   Kafka broker (scripts/kafka/start.sh, advertises 10.250.0.6)
    <prefix>-client   10.250.0.7   ecctl, kcat, Kafka's topic tool

The host's network is untouched: the bridge and all veths live in the namespaces, which are
deleted at the end (killing whatever still runs in them). 127.0.0.1 in each namespace reaches only
that namespace, so any component that used localhost (or advertised 127.0.0.1) to reach another
would fail here. Needs root (ip netns); skipped otherwise.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from cluster import Process, bin_dir, wait_until
from kafka_fixture import _parse_kcat_records, kafka_scripts_dir, source_dir

JOB = str(source_dir() / "examples" / "job.json")
SUBNET = "10.250.0"
NODES = {"jm": 2, "tm1": 3, "tm2": 4, "prod": 5, "kafka": 6, "client": 7}
JM_PORT, PRODUCER_PORT, KAFKA_PORT, KAFKA_SASL_PORT, KAFKA_CONTROLLER_PORT = 6123, 9999, 9092, \
    9094, 9093
TOPIC = "events_ns"
N = 2000


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed ({result.returncode}): "
                           f"{result.stderr.strip()}")
    return result


# If pytest dies without tearing down (e.g. killed by a ctest timeout), this detached watchdog
# kills what runs in our namespaces, deletes them and the run directory.
_WATCHDOG = r'''
parent="$1"; dir="$2"; shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 2; done
for ns in "$@"; do
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
done
sleep 1
for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
rm -rf "$dir"
'''


class Topology:
    """A bridge in a switch namespace and one namespace per node, each with lo up and eth0 at
    SUBNET.<octet>/24 plugged into the bridge."""

    def __init__(self, dir: Path):
        self.dir = dir
        self.prefix = f"ecns{os.getpid() % 100000}{uuid.uuid4().hex[:4]}"
        self.switch = f"{self.prefix}-sw"
        self.created: list[str] = []
        self.processes: list[Process] = []
        self._watchdog: subprocess.Popen | None = None

    def ns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def addr(self, node: str) -> str:
        return f"{SUBNET}.{NODES[node]}"

    def all_namespaces(self) -> list[str]:
        return [self.switch] + [self.ns(n) for n in NODES]

    def add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self.created.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def build(self) -> None:
        self._watchdog = subprocess.Popen(
            ["bash", "-c", _WATCHDOG, "ec-netns-watchdog", str(os.getpid()), str(self.dir),
             *self.all_namespaces()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.add_namespace(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge", "forward_delay", "0")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        for node in NODES:
            ns = self.ns(node)
            self.add_namespace(ns)
            port = f"v-{node}"
            _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{self.addr(node)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")

    def cmd(self, node: str, *args: str) -> list[str]:
        """ARGS run inside NODE's namespace (ip netns exec execs them: same pid)."""
        return ["ip", "netns", "exec", self.ns(node), *args]

    def run(self, node: str, *args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(self.cmd(node, *args), capture_output=True, timeout=timeout, **kw)

    def spawn(self, node: str, name: str, *args: str) -> Process:
        p = Process(name, self.cmd(node, *args), self.dir)
        self.processes.append(p)
        return p

    def close(self) -> None:
        for p in reversed(self.processes):
            try:
                p.stop()
            except Exception as e:  # noqa: BLE001 - keep tearing down
                sys.stderr.write(f"stopping {p.name}: {e}\n")
        # Whatever still runs in our namespaces (nothing, normally) is killed by its id.
        for ns in self.created:
            pids = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
        for ns in reversed(self.created):
            _ip("netns", "del", ns, check=False)
        if self._watchdog is not None and self._watchdog.poll() is None:
            self._watchdog.kill()
            self._watchdog.wait()

    def leftovers(self) -> list[str]:
        listed = _ip("netns", "list", check=False).stdout
        return [line for line in listed.splitlines() if line.startswith(self.prefix)]


class NamespacedKafka:
    """scripts/kafka/start.sh run inside the broker's namespace, advertising that namespace's
    address (listeners bound to 0.0.0.0, so start.sh's 127.0.0.1 readiness probe works there)."""

    def __init__(self, topo: Topology, node: str):
        self.topo, self.node = topo, node
        self.dir = topo.dir / "kafka"
        self.bootstrap = f"{topo.addr(node)}:{KAFKA_PORT}"
        self.started = False

    def start(self) -> None:
        scripts = kafka_scripts_dir()
        if not (scripts / "lib" / ".complete").exists():
            subprocess.run([str(scripts / "fetch.sh")], check=True)
        self.started = True
        result = self.topo.run(
            self.node, str(scripts / "start.sh"), "--dir", str(self.dir),
            "--host", self.topo.addr(self.node), "--bind", "0.0.0.0",
            "--plaintext-port", str(KAFKA_PORT), "--sasl-port", str(KAFKA_SASL_PORT),
            "--controller-port", str(KAFKA_CONTROLLER_PORT), "--no-setup", "--timeout", "90",
            timeout=150, text=True)
        if result.returncode != 0:
            raise AssertionError(f"start.sh in {self.topo.ns(self.node)} failed "
                                 f"({result.returncode}):\n{result.stdout}{result.stderr}")

    def create_topic(self, from_node: str, name: str) -> subprocess.Popen:
        """Kafka's TopicCommand (a JVM) run in FROM_NODE against the advertised address."""
        prefix = (self.dir / "tool.args").read_text().splitlines()
        return subprocess.Popen(
            self.topo.cmd(from_node, *prefix, "org.apache.kafka.tools.TopicCommand",
                          "--bootstrap-server", self.bootstrap, "--create", "--if-not-exists",
                          "--topic", name, "--partitions", "1", "--replication-factor", "1"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.started:
            subprocess.run([str(kafka_scripts_dir() / "stop.sh"), "--dir", str(self.dir),
                            "--timeout", "20"], capture_output=True, timeout=80)

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for name in ("broker.out", "broker.log"):
            p = self.dir / name
            if p.exists():
                text = p.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"----- {p} -----\n" + "\n".join(text))
        return "\n".join(parts)


@pytest.fixture
def topology(request):
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    probe = f"ecns-probe-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    result = _ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot create a network namespace (ip netns add: {result.stderr.strip()})")
    _ip("netns", "del", probe, check=False)

    topo = Topology(Path(tempfile.mkdtemp(prefix="ec-netns-")))
    kafka = NamespacedKafka(topo, "kafka")
    failed_before = request.session.testsfailed
    ok = False
    try:
        topo.build()
        ok = True
        yield topo, kafka
    finally:
        if not ok or request.session.testsfailed > failed_before:
            sys.stderr.write("\n" + _logs(topo, kafka) + "\n")
        try:
            kafka.stop()
        finally:
            topo.close()
            shutil.rmtree(topo.dir, ignore_errors=True)
        left = topo.leftovers()
        assert not left, f"network namespaces left behind: {left}"


def _logs(topo: Topology, kafka: NamespacedKafka) -> str:
    parts = []
    for p in topo.processes:
        try:
            text = p.log().splitlines()[-30:]
        except OSError:
            continue
        parts.append(f"----- {p.name} ({p.log_path}) -----\n" + "\n".join(text))
    parts.append(kafka.log_tail())
    return "\n".join(parts)


def test_pipeline_across_network_namespaces(topology):
    topo, kafka = topology
    started = time.monotonic()
    jm_address = f"{topo.addr('jm')}:{JM_PORT}"

    # Across hosts the cluster is authenticated: a shared secret for the JobManager and the
    # TaskManagers, an admin token for ecctl (without them every port would listen on loopback
    # only, and a TaskManager advertising a non-loopback address refuses to start).
    secret_file = topo.dir / "cluster-secret"
    secret_file.write_text(secrets.token_hex(32) + "\n")
    secret_file.chmod(0o600)
    admin_token = secrets.token_hex(24)
    token_file = topo.dir / "tokens"
    token_file.write_text(f"admin admin {admin_token}\n")
    client_token = topo.dir / "admin.token"
    client_token.write_text(admin_token + "\n")

    def ecctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = topo.run("client", str(bin_dir() / "ecctl"), "--jobmanager", jm_address,
                          "--token-file", str(client_token), *args, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"ecctl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def taskmanagers() -> list:
        result = ecctl("taskmanagers", "--output", "json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else []

    def status(job: str) -> dict:
        return json.loads(ecctl("status", job, "--output", "json").stdout)

    def sink_out(job: str) -> int:
        return next(op["records_out"] for op in status(job)["operators"]
                    if op["name"] == "kafka-sink")

    # The broker first (the slowest to start); the cluster processes start meanwhile.
    kafka_start = time.monotonic()
    jm = topo.spawn("jm", "jobmanager", str(bin_dir() / "ec-jobmanager"), "--rpc-port",
                    str(JM_PORT), "--rest-port", "8081", "--data-dir", str(topo.dir / "jm"),
                    "--cluster-secret-file", str(secret_file), "--auth-token-file",
                    str(token_file))
    for tm in ("tm1", "tm2"):
        # tm1 without --advertise-host: it must find its own address towards the JobManager;
        # tm2 is told its address.
        advertise = ["--advertise-host", topo.addr(tm)] if tm == "tm2" else []
        topo.spawn(tm, tm, str(bin_dir() / "ec-taskmanager"), "--jobmanager", jm_address,
                   "--slots", "1", "--id", f"ns-{tm}", "--data-dir", str(topo.dir / tm),
                   "--cluster-secret-file", str(secret_file), *advertise)
    producer = topo.spawn("prod", "producer", str(bin_dir() / "ec-producer"), "--port",
                          str(PRODUCER_PORT), "--count", str(N), "--rate", "2000", "--seed", "11",
                          "--start-time", "2026-01-01T00:00:00.000Z", "--time-step-ms", "10")
    kafka.start()
    kafka_seconds = time.monotonic() - kafka_start
    creators = [kafka.create_topic("client", t) for t in (TOPIC, TOPIC + ".dlq")]
    for c in creators:
        out, _ = c.communicate(timeout=120)
        assert c.returncode == 0, f"TopicCommand failed: {out.decode(errors='replace')}"

    assert jm.alive(), "the JobManager exited"
    wait_until(lambda: "listening" in producer.log(), 30, "ec-producer to listen")

    # Both TaskManagers registered, each with its own namespace address, none with loopback.
    tms = wait_until(lambda: (t := taskmanagers()) and len(t) == 2 and t, 60,
                     "2 TaskManagers to register")
    by_id = {tm["id"]: tm for tm in tms}
    assert set(by_id) == {"ns-tm1", "ns-tm2"}, tms
    for node in ("tm1", "tm2"):
        address = by_id[f"ns-{node}"]["address"]
        host = address.rsplit(":", 1)[0]
        assert host == topo.addr(node), f"TaskManager {node} advertises {address}"
        assert not host.startswith("127."), tms
        # Its data plane too: peers send it records there.
        assert by_id[f"ns-{node}"]["data_address"].rsplit(":", 1)[0] == topo.addr(node), tms

    # A secret job parameter from another host over this plaintext channel is refused, and its
    # value is not repeated in the error.
    refused = ecctl("submit", JOB, "--kafka-sasl-password", "ns-sasl-secret-value", check=False)
    assert refused.returncode != 0 and "plaintext" in refused.stderr, refused.stderr
    assert "ns-sasl-secret-value" not in refused.stderr

    job = ecctl("submit", JOB, "--hostname", topo.addr("prod"), "--port", str(PRODUCER_PORT),
                "--kafka-bootstrap-servers", kafka.bootstrap, "--kafka-topic", TOPIC,
                "--kafka-security-protocol", "PLAINTEXT", "--parallelism", "2").stdout.strip()
    assert len(job) == 32, f"unexpected job id {job!r}"
    wait_until(lambda: status(job)["state"] == "RUNNING", 60, f"job {job} to be RUNNING")
    wait_until(lambda: sink_out(job) >= N, 90, f"the sink to acknowledge {N} events")

    # Every event is in the topic, read with kcat from the client namespace.
    def read_topic() -> list:
        result = topo.run("client", "kcat", "-C", "-b", kafka.bootstrap, "-t", TOPIC, "-o",
                          "beginning", "-e", "-q", "-f", "%S %s\n", timeout=60)
        return _parse_kcat_records(result.stdout, False) if result.returncode == 0 else []

    records = wait_until(lambda: (r := read_topic()) and len(r) >= N and r, 60,
                         f"{N} records in {TOPIC}")
    seqs = sorted(json.loads(r)["seq"] for r in records)
    assert seqs == list(range(N)), f"{len(records)} records; first seqs {seqs[:10]}"

    st = status(job)
    assert st["state"] == "RUNNING", st
    # The socket source runs once, on one TaskManager; the rest runs on both, fed batch by
    # batch in turn (the producer is paced, so the events come in many batches): part of them
    # crossed from one namespace to the other over the data plane.
    ops = {op["name"]: op for op in st["operators"]}
    (source,) = ops["socket-source"]["subtasks"]
    sinks = ops["kafka-sink"]["subtasks"]
    assert {s["taskmanager_id"] for s in sinks} == set(by_id), st
    remote = [s for s in sinks if s["taskmanager_id"] != source["taskmanager_id"]]
    assert remote and remote[0]["records_in"] > 0, st
    tm_host = by_id[source["taskmanager_id"]]["address"].rsplit(":", 1)[0]
    # The source really connected to the producer from its namespace's address.
    peers = re.findall(r"client (\S+) connected", producer.log())
    assert peers, producer.log()
    assert all(p.rsplit(":", 1)[0] == tm_host for p in peers), (tm_host, peers)

    ecctl("cancel", job)
    wait_until(lambda: status(job)["state"] == "CANCELED", 30, f"job {job} to be CANCELED")
    sys.stderr.write(f"\nnamespaces test: broker up in {kafka_seconds:.1f}s, "
                     f"end to end in {time.monotonic() - started:.1f}s\n")
