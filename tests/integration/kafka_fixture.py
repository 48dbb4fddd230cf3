"""A real single-node Kafka broker for the integration tests (stdlib + kcat + a JVM).

The broker is started by scripts/kafka/start.sh (KRaft, Kafka 4.2 jars from scripts/kafka/lib) on
free ports in a temporary directory. Reading uses kcat, the independent client; topic creation and
other admin work use Kafka's own CLI tools through the PLAINTEXT listener (User:ANONYMOUS is a
super user there).

    broker = KafkaBroker()
    broker.start()                      # ~3-6 s warm; first ever run ~15 s (JVM archives)
    broker.plaintext, broker.sasl       # "127.0.0.1:PORT"
    broker.sasl_ssl, broker.ssl         # the same over TLS; broker.ca_file verifies the broker
    broker.create_topic("events_x", partitions=2)
    broker.produce("events_processed", [b'{"a":1}'], user="alice")
    values = broker.read_topic("events_processed", expect_count=1)
    broker.restart()                    # same ports and dir, data kept
    broker.close()                      # stop and delete the dir

SASL users (PLAIN): admin/admin-secret (super user), alice/alice-secret (may produce/consume
events_* topics, idempotent and transactional), bob/bob-secret (no ACLs). The SASL_SSL listener
has the same users and mechanisms as SASL_PLAINTEXT; SSL clients (no client certificate) are
User:ANONYMOUS, a super user, like PLAINTEXT ones. Listeners: "plaintext", "sasl", "sasl_ssl",
"ssl".
"""
from __future__ import annotations

import atexit
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PASSWORDS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
DEFAULT_TOPICS = ("events_processed", "events_processed.dlq")


def source_dir() -> Path:
    env = os.environ.get("EC_SOURCE_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def kafka_scripts_dir() -> Path:
    return source_dir() / "scripts" / "kafka"


def free_port() -> int:
    """A TCP port that was free on every interface a moment ago, picked at random below Linux's
    ephemeral range (32768-60999): a port the kernel handed out for binding to port 0 is handed
    out again to the next outgoing connection (a Kafka client's, gRPC's), which can take it
    before the server this port is for binds it."""
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randrange(20000, 32768)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32767")


def _free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


def sasl_args(user: str, password: str | None = None, mechanism: str = "PLAIN",
              protocol: str = "SASL_PLAINTEXT") -> list[str]:
    """kcat/librdkafka -X options for SASL_PLAINTEXT (or PROTOCOL) as USER."""
    if password is None:
        password = PASSWORDS[user]
    return [
        "-X", f"security.protocol={protocol}",
        "-X", f"sasl.mechanisms={mechanism}",
        "-X", f"sasl.username={user}",
        "-X", f"sasl.password={password}",
    ]


def _parse_kcat_records(data: bytes, with_timestamp: bool) -> list:
    """Parses kcat output written with -f '%S %s\\n' (or '%T %S %s\\n'): length-prefixed values,
    so values may contain any bytes, newlines included. A null value (length -1) reads as b''."""
    out = []
    i, n = 0, len(data)
    while i < n:
        ts = None
        if with_timestamp:
            sp = data.index(b" ", i)
            ts = int(data[i:sp])
            i = sp + 1
        sp = data.index(b" ", i)
        length = int(data[i:sp])
        i = sp + 1
        if length < 0:
            length = 0
        value = data[i:i + length]
        i += length
        if i < n and data[i:i + 1] == b"\n":
            i += 1
        out.append((value, ts) if with_timestamp else value)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return bool(f.read())  # a zombie has an empty command line
    except OSError:
        return False


class KafkaError(RuntimeError):
    pass


class KafkaBroker:
    """One broker process managed through scripts/kafka/start.sh and stop.sh."""

    def __init__(self, dir: str | os.PathLike | None = None, *, setup: bool = True,
                 partitions: int = 1, host: str = "127.0.0.1", plaintext_port: int | None = None,
                 sasl_port: int | None = None, controller_port: int | None = None,
                 sasl_ssl_port: int | None = None, ssl_port: int | None = None,
                 start_timeout: int = 120):
        self._own_dir = dir is None
        self.dir: Path | None = Path(dir) if dir is not None else None
        self.setup = setup
        self.partitions = partitions
        self.host = host
        self.plaintext_port = plaintext_port
        self.sasl_port = sasl_port
        self.controller_port = controller_port
        self.sasl_ssl_port = sasl_ssl_port
        self.ssl_port = ssl_port
        self._fixed_ports = plaintext_port is not None
        self.start_timeout = start_timeout
        self._watchdog: subprocess.Popen | None = None
        self._atexit_registered = False
        self.running = False

    # ------------------------------------------------------------------ addresses
    @property
    def plaintext(self) -> str:
        return f"{self.host}:{self.plaintext_port}"

    @property
    def sasl(self) -> str:
        return f"{self.host}:{self.sasl_port}"

    @property
    def sasl_ssl(self) -> str:
        return f"{self.host}:{self.sasl_ssl_port}"

    @property
    def ssl(self) -> str:
        return f"{self.host}:{self.ssl_port}"

    @property
    def ca_file(self) -> Path:
        """The throwaway CA (PEM) that signed the broker's certificate: ssl.ca.location."""
        return self.dir / "tls" / "ca.pem"

    def bootstrap(self, listener: str = "plaintext") -> str:
        addresses = {"plaintext": self.plaintext, "sasl": self.sasl, "sasl_ssl": self.sasl_ssl,
                     "ssl": self.ssl}
        if listener not in addresses:
            raise ValueError(f"unknown listener {listener!r}: one of {sorted(addresses)}")
        return addresses[listener]

    @property
    def pid(self) -> int | None:
        try:
            return int((self.dir / "kafka.pid").read_text().strip())
        except (OSError, ValueError, TypeError):
            return None

    def kcat_args(self, listener: str = "plaintext", user: str | None = None,
                  password: str | None = None, mechanism: str = "PLAIN") -> list[str]:
        """['-b', bootstrap, ...security -X options]; SASL defaults to user admin; the TLS
        listeners verify the broker with ca_file."""
        args = ["-b", self.bootstrap(listener)]
        if listener == "sasl":
            args += sasl_args(user or "admin", password, mechanism)
        elif listener == "sasl_ssl":
            args += sasl_args(user or "admin", password, mechanism, protocol="SASL_SSL")
        elif listener == "ssl":
            args += ["-X", "security.protocol=SSL"]
        if listener in ("sasl_ssl", "ssl"):
            args += ["-X", f"ssl.ca.location={self.ca_file}"]
        return args

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "KafkaBroker":
        scripts = kafka_scripts_dir()
        if not (scripts / "lib" / ".complete").exists():
            subprocess.run([str(scripts / "fetch.sh")], check=True)
        if shutil.which("kcat") is None:
            raise KafkaError("kcat is not installed (apt-get install kcat)")
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="ec-kafka-"))
        attempts = 1 if self._fixed_ports else 3
        for attempt in range(attempts):
            if self.plaintext_port is None or (attempt > 0 and not self._fixed_ports):
                (self.plaintext_port, self.sasl_port, self.controller_port, self.sasl_ssl_port,
                 self.ssl_port) = _free_ports(5)
            for name in ("sasl_port", "controller_port", "sasl_ssl_port", "ssl_port"):
                if getattr(self, name) is None:
                    setattr(self, name, free_port())
            cmd = [str(scripts / "start.sh"), "--dir", str(self.dir),
                   "--plaintext-port", str(self.plaintext_port),
                   "--sasl-port", str(self.sasl_port),
                   "--controller-port", str(self.controller_port),
                   "--sasl-ssl-port", str(self.sasl_ssl_port),
                   "--ssl-port", str(self.ssl_port),
                   "--host", self.host, "--partitions", str(self.partitions),
                   "--timeout", str(self.start_timeout)]
            if not self.setup:
                cmd.append("--no-setup")
            t0 = time.monotonic()
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=self.start_timeout + 300)
            out = proc.stdout.decode(errors="replace")
            if proc.returncode == 0:
                self.running = True
                self.start_seconds = time.monotonic() - t0
                self._ensure_watchdog()
                return self
            # Someone may have taken an auto-picked port between picking and binding: retry.
            if "Address already in use" in out or "BindException" in out:
                if attempt + 1 < attempts:
                    subprocess.run([str(scripts / "stop.sh"), "--dir", str(self.dir)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    continue
            raise KafkaError(f"start.sh failed (exit {proc.returncode}):\n{out}")
        raise AssertionError("unreachable")

    def stop(self, timeout: int = 30) -> None:
        """Stops the broker (SIGTERM, then SIGKILL after TIMEOUT s); keeps the data."""
        if self.dir is None:
            return
        subprocess.run([str(kafka_scripts_dir() / "stop.sh"), "--dir", str(self.dir),
                        "--timeout", str(timeout)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 60,
                       check=True)
        self.running = False

    def kill(self) -> None:
        """SIGKILLs the broker (a crash; no clean shutdown). Use start() or restart() after."""
        pid = self.pid
        if pid:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
        self.stop()

    def restart(self) -> "KafkaBroker":
        """Stops and starts again on the same ports and directory (data, topics and ACLs kept)."""
        self.stop()
        return self.start()

    def close(self, keep_dir: bool = False) -> None:
        """Stops the broker and (unless keep_dir, or the dir was given by the caller) deletes it."""
        try:
            self.stop()
        finally:
            if self._watchdog is not None and self._watchdog.poll() is None:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None
            if self._own_dir and not keep_dir and self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)

    def _ensure_watchdog(self) -> None:
        # If this Python process dies without tearing down (e.g. killed by a ctest timeout), a
        # detached watchdog stops the broker so it does not outlive the test run.
        if self._watchdog is None or self._watchdog.poll() is not None:
            script = ('while kill -0 "$1" 2>/dev/null; do sleep 2; done; '
                      'exec "$2" --dir "$3" >/dev/null 2>&1')
            self._watchdog = subprocess.Popen(
                ["bash", "-c", script, "ec-kafka-watchdog", str(os.getpid()),
                 str(kafka_scripts_dir() / "stop.sh"), str(self.dir)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
        if not self._atexit_registered:
            atexit.register(self._atexit)
            self._atexit_registered = True

    def _atexit(self) -> None:
        if self.running:
            try:
                self.stop()
            except Exception:  # noqa: BLE001 - best effort at interpreter exit
                pass

    def log_tail(self, lines: int = 60) -> str:
        """The end of the broker's log files (for assertion messages)."""
        parts = []
        for name in ("broker.out", "broker.log"):
            p = self.dir / name if self.dir else None
            if p and p.exists():
                text = p.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"----- {p} -----\n" + "\n".join(text))
        return "\n".join(parts)

    # ------------------------------------------------------------------ admin (Kafka CLI tools)
    def tool(self, main_class: str, *args: str, timeout: int = 120,
             check: bool = True) -> subprocess.CompletedProcess:
        """Runs a Kafka CLI tool (e.g. org.apache.kafka.tools.TopicCommand) with the JVM options
        start.sh recorded; --bootstrap-server is NOT added automatically."""
        prefix = (self.dir / "tool.args").read_text().splitlines()
        proc = subprocess.run(prefix + [main_class, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
        if check and proc.returncode != 0:
            raise KafkaError(f"{main_class} {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout.decode(errors='replace')}"
                             f"{proc.stderr.decode(errors='replace')}")
        return proc

    def create_topic(self, name: str, partitions: int = 1, config: dict | None = None) -> None:
        args = ["--bootstrap-server", self.plaintext, "--create", "--if-not-exists",
                "--topic", name, "--partitions", str(partitions), "--replication-factor", "1"]
        for k, v in (config or {}).items():
            args += ["--config", f"{k}={v}"]
        self.tool("org.apache.kafka.tools.TopicCommand", *args)
        self.wait_for_topic(name, partitions)

    def create_job_topics(self, prefix: str) -> str:
        """A fresh topic `<prefix><8 hex digits>` and its dead-letter topic `<topic>.dlq`, as
        examples/job.json writes them; returns the topic's name."""
        topic = f"{prefix}{uuid.uuid4().hex[:8]}"
        self.create_topic(topic)
        self.create_topic(topic + ".dlq")
        return topic

    def delete_topic(self, name: str) -> None:
        self.tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", self.plaintext,
                  "--delete", "--if-exists", "--topic", name)

    def add_acl(self, *args: str) -> None:
        """AclCommand --add --force ARGS (e.g. '--allow-principal', 'User:bob', '--topic', 't',
        '--operation', 'Read')."""
        self.tool("org.apache.kafka.tools.AclCommand", "--bootstrap-server", self.plaintext,
                  "--add", "--force", *args)

    def list_topics(self) -> dict[str, int]:
        """{topic: partition count} from a kcat metadata request."""
        proc = subprocess.run(["kcat", "-L", "-b", self.plaintext, "-m", "10"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if proc.returncode != 0:
            raise KafkaError(f"kcat -L failed: {proc.stderr.decode(errors='replace')}")
        topics = {}
        for line in proc.stdout.decode(errors="replace").splitlines():
            line = line.strip()
            if line.startswith('topic "') and "partitions" in line:
                name = line.split('"')[1]
                count = int(line.split("with ")[1].split(" ")[0])
                topics[name] = count
        return topics

    def wait_for_topic(self, name: str, partitions: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.list_topics().get(name, 0) >= partitions:
                    return
            except (KafkaError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() >= deadline:
                raise KafkaError(f"topic {name} not visible with {partitions} partitions "
                                 f"after {timeout}s")
            time.sleep(0.2)

    # ------------------------------------------------------------------ produce / consume (kcat)
    def produce(self, topic: str, values, *, listener: str | None = None, user: str | None = None,
                password: str | None = None, key: bytes | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess:
        """Produces VALUES (bytes or str, one record each; must not contain the delimiter \\x1e;
        kcat skips empty values) with kcat. With user=..., uses the SASL listener. Returns the
        CompletedProcess (returncode != 0 means kcat reported a failure; see .stderr)."""
        if listener is None:
            listener = "sasl" if user else "plaintext"
        delim = b"\x1e"
        payload = b"".join((v.encode() if isinstance(v, str) else v) + delim for v in values)
        cmd = ["kcat", "-P", "-t", topic, "-D", "\x1e", *self.kcat_args(listener, user, password)]
        if key is not None:
            cmd += ["-k", key.decode()]
        return subprocess.run(cmd, input=payload, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)

    def _consume(self, topic: str, fmt: str, isolation: str, listener: str, user, password,
                 timeout: float) -> tuple[int, bytes, bytes]:
        cmd = ["kcat", "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt,
               "-X", f"isolation.level={isolation}", *self.kcat_args(listener, user, password)]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=max(timeout, 5))
        except subprocess.TimeoutExpired as e:
            return -1, b"", (e.stderr or b"") + b"\nkcat timed out"
        return proc.returncode, proc.stdout, proc.stderr

    def _read(self, topic, expect_count, timeout, isolation, from_listener, user, password,
              with_timestamp):
        fmt = "%T %S %s\n" if with_timestamp else "%S %s\n"
        deadline = time.monotonic() + timeout
        last_err = b""
        records: list = []
        while True:
            remaining = deadline - time.monotonic()
            rc, out, err = self._consume(topic, fmt, isolation, from_listener, user, password,
                                         min(max(remaining, 5), 60))
            if rc == 0:
                records = _parse_kcat_records(out, with_timestamp)
                if expect_count is None or len(records) >= expect_count:
                    return records
            else:
                last_err = err
                if expect_count is None:
                    raise KafkaError(f"kcat -C {topic} failed ({rc}): "
                                     f"{err.decode(errors='replace')}")
            if time.monotonic() >= deadline:
                if rc != 0 and not records:
                    sys.stderr.write(f"read_topic({topic}): last kcat error: "
                                     f"{last_err.decode(errors='replace')}\n")
                return records
            time.sleep(0.25)

    def read_topic(self, topic: str, expect_count: int | None = None, timeout: float = 60,
                   isolation: str = "read_committed", from_listener: str = "plaintext",
                   user: str | None = None, password: str | None = None) -> list[bytes]:
        """All record values of TOPIC from the beginning (all partitions, partition order).
        With expect_count, re-reads until at least that many are there or TIMEOUT s passed, and
        returns what it has then (possibly fewer: assert on the result). Without it, reads once
        and raises KafkaError if kcat fails (e.g. unknown topic)."""
        return self._read(topic, expect_count, timeout, isolation, from_listener, user, password,
                          False)

    def read_topic_with_timestamps(self, topic: str, expect_count: int | None = None,
                                   timeout: float = 60, isolation: str = "read_committed",
                                   from_listener: str = "plaintext", user: str | None = None,
                                   password: str | None = None) -> list[tuple[bytes, int]]:
        """Like read_topic, but (value, record timestamp in ms since the epoch) pairs."""
        return self._read(topic, expect_count, timeout, isolation, from_listener, user, password,
                          True)
