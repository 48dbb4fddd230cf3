"""Real EventCluster processes for integration tests: JobManager, TaskManagers, producer, ecctl."""
import json
import os
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from kafka_fixture import free_port, source_dir


def bin_dir() -> Path:
    return Path(os.environ.get("EC_BIN_DIR", source_dir() / "build" / "bin"))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    """Polls `predicate` until it returns a truthy value; fails naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def rest_request(method: str, url: str, token: str | None = None, body: bytes | None = None,
                 content_type: str | None = None, timeout: float = 30) -> tuple[int, str, bytes]:
    """One HTTP request to a REST server: (status, Content-Type, body), also for an error
    status. `token` goes as a bearer token; a POST, PATCH, PUT or DELETE without a body sends
    an empty one (Content-Length: 0), as the server asks."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    if method in ("POST", "PATCH", "PUT", "DELETE") and body is None:
        body = b""
    req = urllib.request.Request(url, method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


class Process:
    """A child process whose output goes to a log file; stopped (and killed if need be) on stop()."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict | None = None):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=full_env,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


class Producer(Process):
    """ec-producer on a free port."""

    def __init__(self, log_dir: Path, *args: str, port: int | None = None, name="producer"):
        self.port = port or free_port()
        super().__init__(name, [str(bin_dir() / "ec-producer"), "--port", str(self.port), *args],
                         log_dir)
        wait_until(lambda: "listening" in self.log(), 30, "ec-producer to listen")

    def events(self, count: int, *args: str) -> list[bytes]:
        """The first `count` lines the producer serves a plain client (read with ec-consumer)."""
        out = subprocess.run([str(bin_dir() / "ec-consumer"), "--host", "127.0.0.1", "--port",
                              str(self.port), "--count", str(count), *args],
                             check=True, capture_output=True, timeout=120)
        return out.stdout.splitlines()


def make_test_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signs for 127.0.0.1 and localhost (server and client
    use), made with openssl: (ca.pem, node.pem, node.key)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (directory / n for n in
                                  ("ca.key", "ca.pem", "node.key", "node.csr", "node.pem"))
    ext = directory / "node.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth,clientAuth\n")
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (["req", "-x509", *ec_key, "-keyout", ca_key, "-out", ca, "-days", "2",
                  "-subj", "/CN=eventcluster-test-ca"],
                 ["req", *ec_key, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
                 ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                  "-out", cert, "-days", "2", "-extfile", ext]):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)
    key.chmod(0o600)
    return ca, cert, key


class Cluster:
    """A JobManager and `taskmanagers` TaskManagers as real processes on loopback."""

    def __init__(self, taskmanagers: int = 1, slots: int = 2, jm_args: tuple = (),
                 jm_env: dict | None = None, secure: bool = False, tls: bool = False):
        """`secure`: a cluster secret for every process and user tokens (`admin_token`,
        `viewer_token`) for the JobManager; ecctl sends the admin's. `tls`: a test CA
        (`ca_file`) and one certificate for 127.0.0.1/localhost that every process serves
        and presents: gRPC both ways with mutual TLS, REST over HTTPS; ecctl verifies with
        the CA."""
        self.dir = Path(tempfile.mkdtemp(prefix="ec-cluster-"))
        self.rpc_port = free_port()
        self.rest_port = free_port()
        self.address = f"127.0.0.1:{self.rpc_port}"
        self.processes: list[Process] = []
        self._secure_args: list[str] = []
        self._token_args: list[str] = []
        # The TaskManagers' /metrics: for holders of a token of the JobManager's file.
        self._metrics_args: list[str] = []
        if secure:
            self.secret_file = self.dir / "cluster-secret"
            self.secret_file.write_text(secrets.token_hex(32) + "\n")
            self.secret_file.chmod(0o600)
            self.admin_token, self.viewer_token = secrets.token_hex(24), secrets.token_hex(24)
            self.token_file = self.dir / "tokens"
            self.token_file.write_text(f"ada admin {self.admin_token}\n"
                                       f"vic viewer {self.viewer_token}\n")
            admin_file = self.dir / "admin.token"
            admin_file.write_text(self.admin_token + "\n")
            self._secure_args = ["--cluster-secret-file", str(self.secret_file)]
            self._token_args = ["--token-file", str(admin_file)]
            self._metrics_args = ["--auth-token-file", str(self.token_file)]
            jm_args = (*self._secure_args, "--auth-token-file", str(self.token_file), *jm_args)
        if tls:
            self.ca_file, cert, key = make_test_certificates(self.dir / "tls")
            tls_args = ["--tls-cert", str(cert), "--tls-key", str(key), "--tls-ca",
                        str(self.ca_file)]
            self._secure_args = [*self._secure_args, *tls_args]
            self._token_args = [*self._token_args, "--tls-ca", str(self.ca_file)]
            jm_args = (*tls_args, *jm_args)
        if "--savepoint-dir" not in jm_args:
            # By default into the cluster's folder; tests name their own temporary ones.
            jm_args = (*jm_args, "--savepoint-dir", str(self.dir / "savepoints"),
                       "--savepoint-dir", tempfile.gettempdir())
        self._jm_args = [
            str(bin_dir() / "ec-jobmanager"), "--rpc-port", str(self.rpc_port), "--rest-port",
            str(self.rest_port), "--data-dir", str(self.dir / "jm"), *jm_args]
        self.jobmanager = self._spawn("jobmanager", self._jm_args, jm_env)
        self.taskmanagers = [self.add_taskmanager(slots) for _ in range(taskmanagers)]
        wait_until(lambda: len(self.taskmanager_list()) == taskmanagers, 60,
                   f"{taskmanagers} TaskManagers to register")

    def _spawn(self, name, args, env=None) -> Process:
        p = Process(name, args, self.dir, env)
        self.processes.append(p)
        return p

    def restart_jobmanager(self, env: dict | None = None) -> None:
        """SIGKILLs the JobManager (if still alive) and starts it again on the same ports and
        data directory, with `env` added to its environment."""
        self.jobmanager.kill()
        self.jobmanager = self._spawn("jobmanager", self._jm_args, env)
        wait_until(lambda: self.ecctl("list", check=False).returncode == 0, 60,
                   "the JobManager to serve again")

    def add_taskmanager(self, slots: int = 2, env: dict | None = None,
                        args: tuple | None = None) -> Process:
        """`args` replaces the cluster's own security flags (the secret), e.g. a wrong one."""
        n = sum(1 for p in self.processes if p.name.startswith("taskmanager"))
        return self._spawn(f"taskmanager{n}", [
            str(bin_dir() / "ec-taskmanager"), "--jobmanager", self.address, "--slots", str(slots),
            "--data-dir", str(self.dir / f"tm{n}"), "--metrics-port", "0",
            *(self._secure_args if args is None else args), *self._metrics_args], env)

    def ecctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(bin_dir() / "ecctl"), "--jobmanager", self.address,
                                 *self._token_args, *args],
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"ecctl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def submit(self, job_file: str, **parameters) -> str:
        args = ["submit", job_file]
        for key, value in parameters.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        job_id = self.ecctl(*args).stdout.strip()
        assert len(job_id) == 32, f"unexpected job id {job_id!r}"
        return job_id

    def status(self, job_id: str) -> dict:
        return json.loads(self.ecctl("status", job_id, "--output", "json").stdout)

    def state(self, job_id: str) -> str:
        return self.status(job_id)["state"]

    def wait_for_state(self, job_id: str, state: str, timeout: float = 60) -> dict:
        return wait_until(lambda: (s := self.status(job_id))["state"] == state and s, timeout,
                          f"job {job_id} to be {state}")

    def operator(self, job_id: str, name: str) -> dict:
        for op in self.status(job_id)["operators"]:
            if op["name"] == name:
                return op
        raise AssertionError(f"no operator {name}")

    def taskmanager_of(self, job_id: str) -> Process:
        """The live TaskManager process running the job's first subtask (ids embed the pid:
        tm-<host>-<pid>-<n>)."""
        placed_on = self.status(job_id)["operators"][0]["subtasks"][0]["taskmanager_id"]
        return next(p for p in self.processes if p.name.startswith("taskmanager") and p.alive()
                    and placed_on.split("-")[-2] == str(p.proc.pid))

    def taskmanager_list(self) -> list:
        result = self.ecctl("taskmanagers", "--output", "json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else []

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.processes)

    def close(self) -> None:
        for p in reversed(self.processes):
            p.stop()


def exactly_once_output(kafka, topic: str, n: int, timeout: float = 300) -> list[bytes]:
    """Waits until `topic` holds `n` records, then asserts that at read_committed every seq
    from 0 to n-1 is there exactly once; returns the records."""
    wait_until(lambda: len(kafka.read_topic(topic, timeout=5)) >= n, timeout,
               f"all events committed to {topic}", interval=2)
    values = kafka.read_topic(topic, isolation="read_committed")
    seqs = [json.loads(v)["seq"] for v in values]
    missing = n - len(set(seqs))
    assert len(seqs) == n and missing == 0, \
        f"{len(seqs) - len(set(seqs))} duplicates, {missing} missing"
    assert sorted(seqs) == list(range(n))
    return values
