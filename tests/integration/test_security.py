"""Who may talk to whom (issue 15, part 1), against real processes: the cluster secret on the
JobManager's and TaskManagers' gRPC services and on the data plane, user tokens on the client
service and REST, and the secure default of listening on loopback only.

Strangers are played with grpcio and raw sockets: calls without the cluster's credentials, as an
attacker on the network would make them (request bodies are empty protobuf messages)."""
import json
import socket
import ssl
import struct
import subprocess
import time
import urllib.error
import urllib.request

import grpc
import pytest

from cluster import Cluster, Producer, bin_dir, free_port, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")

CLIENT_READS = ["GetJobStatus", "ListJobs", "ListTaskManagers"]
CLIENT_CHANGES = ["SubmitJob", "CancelJob", "TriggerSavepoint", "RescaleJob"]
JOBMANAGER_SERVICE = ["RegisterTaskManager", "UpdateTaskState", "AcknowledgeCheckpoint"]
TASKMANAGER_SERVICE = ["DeployTask", "CancelTask", "TriggerCheckpoint", "NotifyCheckpointComplete",
                       "ReadLog"]


def call(address: str, service: str, method: str, metadata=()) -> grpc.StatusCode:
    with grpc.insecure_channel(address) as channel:
        stub = channel.unary_unary(f"/ec.proto.{service}/{method}")
        try:
            stub(b"", metadata=list(metadata), timeout=10)
            return grpc.StatusCode.OK
        except grpc.RpcError as e:
            return e.code()


def bearer(token: str):
    return [("authorization", f"Bearer {token}")]


def http(method: str, url: str, headers: dict | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def closed_after(port: int, payload: bytes) -> bool:
    """Sends `payload` to 127.0.0.1:port; True when the server then closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(payload)
        s.settimeout(15)
        try:
            while s.recv(4096):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


@pytest.fixture
def cluster():
    c = Cluster(taskmanagers=2, slots=1, secure=True)
    yield c
    c.close()


def test_every_grpc_method_refuses_strangers_and_viewers_cannot_change(cluster):
    jm = cluster.address
    job_count = len(json.loads(cluster.ecctl("list", "--output", "json").stdout or "[]"))
    for method in CLIENT_READS + CLIENT_CHANGES:
        assert call(jm, "ClientService", method) == grpc.StatusCode.UNAUTHENTICATED, method
        assert call(jm, "ClientService", method, bearer("wrong-" + cluster.admin_token)) == \
            grpc.StatusCode.UNAUTHENTICATED, method
    for method in CLIENT_CHANGES:
        assert call(jm, "ClientService", method, bearer(cluster.viewer_token)) == \
            grpc.StatusCode.PERMISSION_DENIED, method
    # A viewer reads (ListJobs answers; GetJobStatus of no job is NOT_FOUND, past the check).
    assert call(jm, "ClientService", "ListJobs", bearer(cluster.viewer_token)) == grpc.StatusCode.OK
    assert call(jm, "ClientService", "GetJobStatus", bearer(cluster.viewer_token)) != \
        grpc.StatusCode.UNAUTHENTICATED
    # The services between JobManager and TaskManagers want the cluster secret, not a token.
    for method in JOBMANAGER_SERVICE:
        assert call(jm, "JobManagerService", method, bearer(cluster.admin_token)) == \
            grpc.StatusCode.UNAUTHENTICATED, method
    tms = cluster.taskmanager_list()
    assert len(tms) == 2
    for tm in tms:
        for method in TASKMANAGER_SERVICE:
            assert call(tm["address"], "TaskManagerService", method) == \
                grpc.StatusCode.UNAUTHENTICATED, (tm["address"], method)
    # Nothing changed: no job appeared, both TaskManagers are still there with free slots.
    assert len(json.loads(cluster.ecctl("list", "--output", "json").stdout or "[]")) == job_count
    assert sorted(t["free_slots"] for t in cluster.taskmanager_list()) == [1, 1]
    # The refusals are logged with the peer, and no secret or token is in any log.
    logs = cluster.logs()
    assert "refused" in logs
    assert cluster.admin_token not in logs and cluster.viewer_token not in logs
    assert cluster.secret_file.read_text().strip() not in logs


def test_ecctl_needs_a_token_and_state_changes_are_audited(cluster, tmp_path):
    bare = subprocess.run([str(bin_dir() / "ecctl"), "--jobmanager", cluster.address, "list"],
                          capture_output=True, text=True, timeout=60)
    assert bare.returncode != 0
    assert "token" in bare.stderr and len(bare.stderr.strip().splitlines()) == 1, bare.stderr
    viewer = tmp_path / "viewer.token"
    viewer.write_text(cluster.viewer_token + "\n")
    refused = subprocess.run([str(bin_dir() / "ecctl"), "--jobmanager", cluster.address,
                              "--token-file", str(viewer), "cancel", "0" * 32],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "viewer" in refused.stderr, refused.stderr
    # An admin's cancel of an unknown job is refused by the dispatcher, after the audit line.
    cluster.ecctl("cancel", "f" * 32, check=False)
    wait_until(lambda: 'user=ada role=admin action="cancel" job=' + "f" * 32
               in cluster.jobmanager.log(), 30, "the audit line of the cancel")


def test_a_taskmanager_with_a_wrong_secret_cannot_register(cluster, tmp_path):
    wrong = tmp_path / "wrong-secret"
    wrong.write_text("this-is-not-the-cluster-secret\n")
    wrong.chmod(0o600)
    stranger = cluster.add_taskmanager(slots=4, args=("--cluster-secret-file", str(wrong)))
    wait_until(lambda: "cannot register" in stranger.log() and "secret" in stranger.log(), 60,
               "the stranger's registration to be refused")
    assert len(cluster.taskmanager_list()) == 2
    none = cluster.add_taskmanager(slots=4, args=())  # no secret at all
    wait_until(lambda: "cannot register" in none.log(), 60, "the secretless registration refused")
    assert len(cluster.taskmanager_list()) == 2


def test_strangers_on_the_data_port_are_cut_off_while_the_job_flows(cluster, kafka, tmp_path):
    topic = kafka.create_job_topics("security-")
    producer = Producer(tmp_path, "--rate", "400", "--seed", "5")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port, parallelism=2,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic)
        cluster.wait_for_state(job, "RUNNING")

        def sink_in() -> int:
            return cluster.operator(job, "kafka-sink")["records_in"]

        wait_until(lambda: sink_in() > 100, 60, "records to reach the sink")
        restarts = cluster.status(job)["restarts"]
        # The sink subtask on the TaskManager without the source gets its records over the
        # data plane; attack both data ports.
        for tm in cluster.taskmanager_list():
            port = int(tm["data_address"].rsplit(":", 1)[1])
            assert closed_after(port, bytes(range(256)) * 4), tm
            # A well-formed data-plane preamble ("ECDX", version 1, little-endian as
            # runtime/network/frame.cc writes it) and bytes after it, without the handshake.
            preamble = struct.pack("<II", 0x58444345, 1)
            assert closed_after(port, preamble + b"\x01" * 64), tm
        before = sink_in()
        wait_until(lambda: sink_in() > before + 200, 60, "records to keep flowing")
        st = cluster.status(job)
        assert st["state"] == "RUNNING" and st["restarts"] == restarts, st
        assert "data connection from 127.0.0.1" in cluster.logs()
    finally:
        producer.stop()


def test_rest_wants_a_token_or_a_session_and_the_page_logs_in(cluster):
    base = f"http://127.0.0.1:{cluster.rest_port}"
    status, headers, _ = http("GET", base + "/jobs")
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert http("GET", base + "/jobs", {"Authorization": "Bearer nope-0123456789abcdef"})[0] == 401
    assert http("GET", base + "/jobs", {"Authorization": f"Bearer {cluster.viewer_token}"})[0] == 200
    # The page itself is public (it holds no data) and offers the login.
    status, _, page = http("GET", base + "/")
    assert status == 200 and b"login" in page
    # Login: the session cookie is HttpOnly and SameSite=Strict; it needs the anti-CSRF header.
    body = json.dumps({"token": cluster.viewer_token}).encode()
    json_header = {"Content-Type": "application/json"}
    assert http("POST", base + "/login", json_header, body)[0] == 403
    assert http("POST", base + "/login", {**json_header, "X-EC-Request": "1"},
                json.dumps({"token": "wrong-0123456789abcdef"}).encode())[0] == 401
    status, headers, _ = http("POST", base + "/login", {**json_header, "X-EC-Request": "1"}, body)
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = cookie.split(";", 1)[0]
    assert http("GET", base + "/taskmanagers", {"Cookie": session})[0] == 200
    assert http("GET", base + "/jobs", {"Cookie": "ec_session=forged"})[0] == 401


def test_without_secret_or_tokens_everything_listens_on_loopback_only(tmp_path):
    """The secure default: no secret, no tokens → loopback; a TaskManager that would have to
    be reached on another address refuses to start and says how to open up."""
    c = Cluster(taskmanagers=1, slots=1)
    try:
        listening = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True).stdout
        pids = {str(p.proc.pid) for p in c.processes}
        ours = [line for line in listening.splitlines()
                if any(f"pid={pid}," in line for pid in pids)]
        assert ours, listening
        for line in ours:
            local = line.split()[3]
            # gRPC binds 127.0.0.1 as the v4-mapped [::ffff:127.0.0.1]: loopback too
            assert local.rsplit(":", 1)[0] in ("127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"), line
        assert "loopback" in c.jobmanager.log() or "127.0.0.1 only" in c.jobmanager.log()
    finally:
        c.close()
    refused = subprocess.run(
        [str(bin_dir() / "ec-taskmanager"), "--jobmanager", f"127.0.0.1:{free_port()}",
         "--advertise-host", "10.1.2.3", "--data-dir", str(tmp_path / "tm")],
        capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "--cluster-secret-file" in refused.stderr and "--insecure" in refused.stderr


def loopback_tcp_payloads(ports: set[int], seconds: float) -> bytes:
    """Every TCP payload to or from one of `ports` on the loopback interface for `seconds`,
    captured with a raw packet socket (root only)."""
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    sniffer.bind(("lo", 0))
    sniffer.settimeout(0.2)
    captured = bytearray()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = sniffer.recv(65536)
        except socket.timeout:
            continue
        ip = frame[14:]  # lo's frames carry an all-zero Ethernet header
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 0x0F) * 4:]
        source, destination = struct.unpack("!HH", tcp[:4])
        if source in ports or destination in ports:
            captured += tcp[(tcp[12] >> 4) * 4:]
    sniffer.close()
    return bytes(captured)


def test_the_original_job_runs_with_tls_on_every_plane(kafka, tmp_path):
    """Mutual TLS between JobManager and TaskManagers (DeployTask carries the job's SASL
    password) and between TaskManagers (the records), TLS for ecctl and HTTPS for REST;
    plaintext callers get nowhere."""
    c = Cluster(taskmanagers=2, slots=1, secure=True, tls=True)
    producer = Producer(tmp_path, "--rate", "500", "--seed", "9")
    try:
        topic = kafka.create_job_topics("events_tls_")  # alice may write events_*
        job = c.submit(JOB, hostname="127.0.0.1", port=producer.port, parallelism=2,
                       kafka_bootstrap_servers=kafka.sasl, kafka_topic=topic,
                       kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="alice",
                       kafka_sasl_password="alice-secret",
                       delivery_guarantee="exactly-once", checkpoint_interval="500ms")
        c.wait_for_state(job, "RUNNING")
        # Exactly-once: the records become readable as checkpoints complete.
        records = kafka.read_topic(topic, expect_count=50, timeout=120)
        assert {"severity", "processed_at"} <= set(json.loads(records[0]))
        # Plaintext gRPC and plaintext HTTP are not answered.
        assert call(c.address, "ClientService", "ListJobs", bearer(c.admin_token)) == \
            grpc.StatusCode.UNAVAILABLE
        plain = subprocess.run([str(bin_dir() / "ecctl"), "--jobmanager", c.address,
                                "--token-file", str(c.dir / "admin.token"), "list"],
                               capture_output=True, text=True, timeout=60)
        assert plain.returncode != 0
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{c.rest_port}/jobs", timeout=10)
        # HTTPS with the CA, and the token.
        context = ssl.create_default_context(cafile=str(c.ca_file))
        request = urllib.request.Request(f"https://127.0.0.1:{c.rest_port}/jobs",
                                         headers={"Authorization": f"Bearer {c.viewer_token}"})
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            assert response.status == 200
            assert job in response.read().decode()
        # Records cross between the TaskManagers encrypted: TLS application-data records on
        # their data ports, and no event text.
        request = urllib.request.Request(f"https://127.0.0.1:{c.rest_port}/taskmanagers",
                                         headers={"Authorization": f"Bearer {c.viewer_token}"})
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            data_ports = {tm["dataPort"] for tm in json.loads(response.read())["taskmanagers"]}
        assert len(data_ports) == 2, data_ports
        wire = loopback_tcp_payloads(data_ports, 3)
        assert len(wire) > 10000, f"only {len(wire)} bytes crossed the data plane in 3 s"
        assert b"\x17\x03\x03" in wire, "no TLS application data on the data ports"
        for text in (b'"seq":', b"event_id", b"Security"):
            assert text not in wire, f"{text!r} crossed the data plane in the clear"
        # A checkpoint completes, so the checkpoint directory holds what a restore would read.
        wait_until(lambda: c.status(job)["checkpoints"]["completed"] >= 1, 60, "a checkpoint")
        # Neither the password nor the secret is in any log, status output or REST response...
        logs = c.logs()
        assert "alice-secret" not in logs
        assert c.secret_file.read_text().strip() not in logs
        for out in (c.ecctl("status", job).stdout, c.ecctl("status", job, "--output", "json").stdout,
                    c.ecctl("list").stdout):
            assert "alice-secret" not in out
        bodies = {}
        for path in ("/jobs", f"/jobs/{job}", "/taskmanagers", f"/jobs/{job}/config",
                     f"/jobs/{job}/checkpoints", f"/jobs/{job}/exceptions"):
            request = urllib.request.Request(f"https://127.0.0.1:{c.rest_port}{path}",
                                             headers={"Authorization": f"Bearer {c.viewer_token}"})
            try:
                with urllib.request.urlopen(request, timeout=10, context=context) as response:
                    body = response.read().decode()
            except urllib.error.HTTPError as e:
                body = e.read().decode()
            assert "alice-secret" not in body, path
            bodies[path] = body
        # The job's configuration shows that a password is set, as ******.
        user_config = json.loads(bodies[f"/jobs/{job}/config"])["execution-config"]["user-config"]
        assert user_config["kafka-sasl-password"] == "******", user_config
        assert user_config["kafka-sasl-username"] == "alice", user_config
        # ...nor in any file under the data and checkpoint directories, but one only the
        # JobManager's user can read (the job store, kept for recovery).
        holders = []
        for f in c.dir.rglob("*"):
            if f.is_file() and b"alice-secret" in f.read_bytes():
                holders.append(f)
                assert f.stat().st_mode & 0o077 == 0, f"{f} holds the password and is not 0600"
        assert holders and all("jobs" in f.parts for f in holders), holders
    finally:
        producer.stop()
        c.close()


def test_a_secret_parameter_may_come_over_plaintext_from_this_host_only(cluster):
    """Over plaintext gRPC a job carrying a password is accepted from loopback, by name too
    (`localhost` resolves to ::1 first, which gRPC reports as "ipv6:%5B::1%5D:port")."""
    for address in (f"localhost:{cluster.rpc_port}", f"127.0.0.1:{cluster.rpc_port}"):
        submitted = subprocess.run(
            [str(bin_dir() / "ecctl"), "--jobmanager", address, "--token-file",
             str(cluster.dir / "admin.token"), "submit", JOB, "--hostname", "127.0.0.1",
             "--port", str(free_port()), "--kafka-sasl-password", "not-shown-anywhere"],
            capture_output=True, text=True, timeout=60)
        assert submitted.returncode == 0, (address, submitted.stderr)
        cluster.ecctl("cancel", submitted.stdout.strip())
    assert "not-shown-anywhere" not in cluster.logs()
