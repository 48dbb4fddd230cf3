"""Shared fixtures for the integration tests (run: python3 -m pytest tests/integration)."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import Cluster  # noqa: E402
from kafka_fixture import KafkaBroker  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (deselect with -m 'not slow')")


@pytest.fixture(scope="session")
def kafka(request):
    """One real Kafka broker for the whole session, with topics events_processed and
    events_processed.dlq and the ACLs for alice (see scripts/kafka/README.md). Stopped at the end;
    its directory is deleted unless a test failed or EC_KEEP_KAFKA=1 (then its path is printed)."""
    broker = KafkaBroker()
    try:
        broker.start()
    except BaseException:
        broker.close(keep_dir=True)
        sys.stderr.write(f"\nKafka broker dir kept for inspection: {broker.dir}\n")
        raise
    try:
        yield broker
    finally:
        keep = os.environ.get("EC_KEEP_KAFKA") == "1" or request.session.testsfailed > 0
        broker.close(keep_dir=keep)
        if keep:
            sys.stderr.write(f"\nKafka broker dir kept for inspection: {broker.dir}\n")


@pytest.fixture
def own_kafka():
    """A broker of the test's own (no topics or ACLs set up), for tests that stop or restart it
    and so must not disturb the shared one."""
    broker = KafkaBroker(setup=False)
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def secure_cluster():
    """A JobManager and one TaskManager with 4 slots, a cluster secret and user tokens."""
    c = Cluster(taskmanagers=1, slots=4, secure=True)
    try:
        yield c
    finally:
        c.close()
