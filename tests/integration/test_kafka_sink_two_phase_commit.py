"""The exactly-once KafkaSink's two-phase commit at operator level against the real broker: runs
the gtest binary kafka_sink_broker_test (built into build/tests/) with the broker's address.
Pre-commit at the snapshot and commit at completion, restore committing exactly once, fencing
of lingering transactions (a read_committed reader reaches the end), a rescale 3 -> 1, the pool
bound, a cancel, a finishing sink, and a transaction aborted by the broker's timeout reported as
a lost checkpoint."""
import os
import subprocess
import uuid
from pathlib import Path

from cluster import bin_dir


def test_two_phase_commit_against_the_broker(kafka):
    binary = Path(bin_dir()).resolve().parent / "tests" / "kafka_sink_broker_test"
    assert binary.exists(), f"{binary} not built (ninja -C build kafka_sink_broker_test)"
    topic = f"events_2pc_{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic, partitions=1)
    env = dict(os.environ, EC_TEST_KAFKA_BOOTSTRAP=kafka.plaintext, EC_TEST_KAFKA_TOPIC=topic)
    proc = subprocess.run([str(binary)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=900)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, out + "\n" + kafka.log_tail()
    assert "[  SKIPPED ]" not in out, out
