"""The test broker itself: listeners, SASL/PLAIN users and ACLs behave as the tests assume."""
import json
import subprocess
import time
import uuid

from kafka_fixture import sasl_args


def test_alice_produces_over_sasl_and_value_reads_back(kafka):
    value = json.dumps({"id": str(uuid.uuid4()), "note": "hello from alice"})
    proc = kafka.produce("events_processed", [value], user="alice")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    values = kafka.read_topic("events_processed", expect_count=1, timeout=60)
    assert value.encode() in values
    # alice may read too (consumer path over SASL), and timestamps are present.
    pairs = kafka.read_topic_with_timestamps("events_processed", expect_count=1,
                                             from_listener="sasl", user="alice")
    assert any(v == value.encode() and abs(ts - time.time() * 1000) < 3_600_000
               for v, ts in pairs), pairs


def test_values_with_newlines_round_trip(kafka):
    kafka.create_topic("events_fixture_selftest", partitions=2)
    values = [b"line1\nline2", b"\xff\x00 binary", b"x" * 100_000]
    proc = kafka.produce("events_fixture_selftest", values)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    got = kafka.read_topic("events_fixture_selftest", expect_count=3, timeout=60)
    assert sorted(got) == sorted(values)


def test_bob_is_denied_writing(kafka):
    proc = kafka.produce("events_processed", [b'{"from":"bob"}'], user="bob", timeout=90)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0 or "AUTHORIZATION_FAILED" in err.upper() \
        or "authorization failed" in err.lower(), err
    assert "authorization failed" in err.lower(), err
    assert b'{"from":"bob"}' not in kafka.read_topic("events_processed")


def test_wrong_password_is_rejected(kafka):
    proc = kafka.produce("events_processed", [b'{"from":"mallory"}'], user="alice",
                         password="not-the-password", timeout=90)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0, err
    assert "authentication" in err.lower(), err
    assert b'{"from":"mallory"}' not in kafka.read_topic("events_processed")


def test_kcat_sasl_args_helper():
    assert sasl_args("bob") == ["-X", "security.protocol=SASL_PLAINTEXT",
                                "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=bob",
                                "-X", "sasl.password=bob-secret"]


def test_restart_keeps_data_topics_and_acls(kafka):
    marker = json.dumps({"id": str(uuid.uuid4()), "note": "before restart"}).encode()
    assert kafka.produce("events_processed", [marker], user="alice").returncode == 0
    assert marker in kafka.read_topic("events_processed", expect_count=1)
    ports = (kafka.plaintext, kafka.sasl, kafka.sasl_ssl, kafka.ssl)
    ca = kafka.ca_file.read_bytes()
    kafka.restart()
    assert (kafka.plaintext, kafka.sasl, kafka.sasl_ssl, kafka.ssl) == ports
    assert kafka.ca_file.read_bytes() == ca  # clients holding the CA keep trusting the broker
    assert marker in kafka.read_topic("events_processed", expect_count=1)
    after = json.dumps({"note": "after restart"}).encode()
    proc = kafka.produce("events_processed", [after], user="alice")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert after in kafka.read_topic("events_processed", expect_count=2)
    proc = kafka.produce("events_processed", [b'{"from":"bob"}'], user="bob", timeout=90)
    assert "authorization failed" in proc.stderr.decode(errors="replace").lower()
    proc = kafka.produce("events_processed", [after], listener="sasl_ssl", user="alice")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def test_alice_may_produce_transactionally(kafka, tmp_path):
    # Exactly-once needs IdempotentWrite on the cluster and Write/Describe on transactional ids.
    kafka.create_topic("events_fixture_tx")
    cfg = tmp_path / "alice.properties"
    cfg.write_text(
        f"bootstrap.servers={kafka.sasl}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="alice" password="alice-secret";\n')
    kafka.tool("org.apache.kafka.tools.ProducerPerformance", "--topic", "events_fixture_tx",
               "--num-records", "50", "--record-size", "20", "--throughput", "-1",
               "--transactional-id", "ec-fixture-tx", "--transaction-duration-ms", "100",
               "--command-config", str(cfg))
    assert len(kafka.read_topic("events_fixture_tx", expect_count=50)) == 50


def test_alice_produces_over_sasl_ssl_and_anonymous_reads_over_ssl(kafka):
    assert kafka.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    value = json.dumps({"id": str(uuid.uuid4()), "note": "hello over TLS"})
    proc = kafka.produce("events_processed", [value], listener="sasl_ssl", user="alice")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert value.encode() in kafka.read_topic("events_processed", expect_count=1,
                                              from_listener="ssl")
    assert value.encode() in kafka.read_topic("events_processed", expect_count=1,
                                              from_listener="sasl_ssl", user="alice")


def test_the_tls_listeners_refuse_a_client_that_does_not_trust_the_test_ca(kafka):
    for listener in ("sasl_ssl", "ssl"):
        args = [a.replace(f"ssl.ca.location={kafka.ca_file}",
                          "ssl.ca.location=/etc/ssl/certs/ca-certificates.crt")
                for a in kafka.kcat_args(listener)]
        proc = subprocess.run(["kcat", "-L", "-m", "5", *args], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode != 0, proc.stdout
        assert "certificate verify failed" in proc.stderr, proc.stderr
