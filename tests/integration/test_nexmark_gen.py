"""ec-nexmark-gen against the real broker: every event lands once, event n on partition n % 3, and
the topic holds exactly what `--output -` prints for the same flags; SASL with the password from
the environment; bad flags, an unknown topic and an unreachable broker fail with one line."""
import os
import subprocess
import time
import uuid

from cluster import bin_dir
from kafka_fixture import PASSWORDS, free_port

N = 20_000
FLAGS = ["--count", str(N), "--seed", "42", "--events-per-second", "1000"]


def run_gen(*args, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir() / "ec-nexmark-gen"), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout,
                          env={**os.environ, **(env or {})})


def stderr_lines(proc) -> list[str]:
    return proc.stderr.decode(errors="replace").strip().splitlines()


def read_partitions(kafka, topic: str, expect: int, timeout: float = 60) -> dict[int, list[bytes]]:
    """{partition: values in offset order}, read with kcat until `expect` records are there."""
    deadline = time.monotonic() + timeout
    while True:
        proc = subprocess.run(["kcat", "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                               "-f", "%p %S %s\n", *kafka.kcat_args()],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        data, i, out = proc.stdout, 0, {}
        while i < len(data):
            sp = data.index(b" ", i)
            partition = int(data[i:sp])
            sp2 = data.index(b" ", sp + 1)
            length = int(data[sp + 1:sp2])
            out.setdefault(partition, []).append(data[sp2 + 1:sp2 + 1 + length])
            i = sp2 + 1 + length + 1  # the value, then kcat's '\n'
        if sum(map(len, out.values())) >= expect or time.monotonic() >= deadline:
            return out
        time.sleep(0.25)


def test_topic_holds_the_events_round_robin(kafka):
    topic = f"events_nexmark_{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=3)
    proc = run_gen("--bootstrap-servers", kafka.plaintext, "--topic", topic, *FLAGS)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    lines = stderr_lines(proc)
    assert len(lines) == 1 and f"{N} events" in lines[0] and "3 partitions" in lines[0], lines

    expected = run_gen("--output", "-", *FLAGS)
    assert expected.returncode == 0, expected.stderr
    events = expected.stdout.splitlines()
    assert len(events) == N

    partitions = read_partitions(kafka, topic, N)
    assert sorted(partitions) == [0, 1, 2]
    assert sum(map(len, partitions.values())) == N
    assert sorted(v for vs in partitions.values() for v in vs) == sorted(events)  # as multisets
    # Round-robin by event number, each partition in generation order.
    for p, values in partitions.items():
        assert values == events[p::3], f"partition {p}"
    kinds = [e[:15] for e in events]
    assert kinds.count(b'{"event_type":0') == N // 50
    assert kinds.count(b'{"event_type":2') == N * 46 // 50


def test_sasl_password_from_the_environment(kafka):
    topic = f"events_nexmark_{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=2)
    args = ["--bootstrap-servers", kafka.sasl, "--topic", topic, "--count", "500",
            "--kafka-security-protocol", "SASL_PLAINTEXT", "--kafka-sasl-username", "alice"]
    proc = run_gen(*args, env={"EC_KAFKA_SASL_PASSWORD": PASSWORDS["alice"]})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert PASSWORDS["alice"].encode() not in proc.stderr
    assert sum(map(len, read_partitions(kafka, topic, 500).values())) == 500

    wrong = "not-alices-password"
    proc = run_gen(*args, "--timeout", "10", env={"EC_KAFKA_SASL_PASSWORD": wrong})
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "authentication" in lines[0].lower(), lines
    assert wrong.encode() not in proc.stderr


def test_unknown_topic_fails_with_one_line(kafka):
    topic = f"events_missing_{uuid.uuid4().hex[:8]}"
    proc = run_gen("--bootstrap-servers", kafka.plaintext, "--topic", topic, "--count", "10")
    assert proc.returncode != 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and topic in lines[0] and "does not exist" in lines[0], lines
    assert topic not in kafka.list_topics()  # asking did not create it


def test_unreachable_broker_fails_within_the_timeout():
    start = time.monotonic()
    proc = run_gen("--bootstrap-servers", f"127.0.0.1:{free_port()}", "--topic", "t",
                   "--count", "10", "--timeout", "2", timeout=60)
    assert proc.returncode != 0
    assert time.monotonic() - start < 20
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "no answer" in lines[0], lines


def test_bad_flags_fail_with_one_line():
    for args in (["--count", "0", "--output", "-"],
                 ["--count", "5", "--output", "-", "--bogus", "1"],
                 ["--count", "5"], ["--count", "5", "--output", "-", "--base-time", "yesterday"],
                 ["--count", "5", "--output", "-", "--events-per-second", "0"]):
        proc = run_gen(*args, timeout=30)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = stderr_lines(proc)
        assert len(lines) == 1 and lines[0].startswith("ec-nexmark-gen: "), (args, lines)
        assert proc.stdout == b"", args
