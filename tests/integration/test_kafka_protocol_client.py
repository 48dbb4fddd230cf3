"""KafkaProtocolClient (connectors/kafka) against the real broker: runs the gtest binary
kafka_protocol_broker_test (built into build/tests/) with the broker's addresses, after adding
SCRAM-SHA-256/512 credentials for alice; over SASL_PLAINTEXT, SASL_SSL and SSL (trusting the
broker's test CA). Its OBSERVED lines (what the broker answered) are
printed with the test's output."""
import os
import subprocess
import sys
from pathlib import Path

from cluster import bin_dir

SCRAM_USER = "alice"
SCRAM_PASSWORD = "alice-scram-secret"
TOPIC = "events_protocol_client"


def test_protocol_client_against_the_broker(kafka):
    binary = Path(bin_dir()).resolve().parent / "tests" / "kafka_protocol_broker_test"
    assert binary.exists(), f"{binary} not built (ninja -C build kafka_protocol_broker_test)"
    kafka.create_topic(TOPIC, partitions=1)
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):  # one credential per request
        kafka.tool("kafka.admin.ConfigCommand", "--bootstrap-server", kafka.plaintext, "--alter",
                   "--add-config", f"{mechanism}=[iterations=4096,password={SCRAM_PASSWORD}]",
                   "--entity-type", "users", "--entity-name", SCRAM_USER)
    env = dict(os.environ,
               EC_TEST_KAFKA_BOOTSTRAP=kafka.plaintext,
               EC_TEST_KAFKA_SASL_BOOTSTRAP=kafka.sasl,
               EC_TEST_KAFKA_SASL_SSL_BOOTSTRAP=kafka.sasl_ssl,
               EC_TEST_KAFKA_SSL_BOOTSTRAP=kafka.ssl,
               EC_TEST_KAFKA_CA_FILE=str(kafka.ca_file),
               EC_TEST_KAFKA_TOPIC=TOPIC,
               EC_TEST_KAFKA_SCRAM_USER=SCRAM_USER,
               EC_TEST_KAFKA_SCRAM_PASSWORD=SCRAM_PASSWORD)
    proc = subprocess.run([str(binary)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=600)
    out = proc.stdout.decode(errors="replace")
    sys.stdout.write("".join(line + "\n" for line in out.splitlines()
                             if line.startswith("OBSERVED")))
    assert proc.returncode == 0, out + "\n" + kafka.log_tail()
    assert "[  SKIPPED ]" not in out, out
