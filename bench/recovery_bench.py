#!/usr/bin/env python3
"""Checkpoint durations under load and recovery time after a TaskManager SIGKILL.

Runs the original job (examples/job.json) at a fixed producer rate with checkpoints, samples
every completed checkpoint's duration from `ecctl status`, then SIGKILLs the TaskManager running
the task (a second one is standing by) and measures the time until records flow into Kafka again.
Usage: bench/recovery_bench.py [--rate 100000] [--seconds 20] [--interval 1s] [--guarantee at-least-once]
Prints one JSON object. Uses the integration-test helpers (a local broker on free ports)."""
import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from cluster import Cluster, Producer, wait_until  # noqa: E402
from kafka_fixture import KafkaBroker  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--guarantee", default="at-least-once")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ec-recovery-"))
    kafka = KafkaBroker(setup=False).start()
    cluster = producer = None
    try:
        topic = f"events_{uuid.uuid4().hex[:8]}"
        kafka.create_topic(topic)
        cluster = Cluster(taskmanagers=2, slots=1)
        producer = Producer(tmp, "--rate", str(args.rate))
        job = cluster.submit(str(ROOT / "examples" / "job.json"), hostname="127.0.0.1",
                             port=producer.port, kafka_bootstrap_servers=kafka.plaintext,
                             kafka_topic=topic, checkpoint_interval=args.interval,
                             delivery_guarantee=args.guarantee, restart_delay="0ms")
        cluster.wait_for_state(job, "RUNNING")
        durations = {}
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            latest = cluster.status(job)["checkpoints"].get("latest")
            if latest:
                durations[latest["id"]] = latest["duration_ms"]
            time.sleep(0.1)
        before = cluster.status(job)
        victim = cluster.taskmanager_of(job)
        killed = time.monotonic()
        victim.kill()
        wait_until(lambda: cluster.status(job)["restarts"] >= 1, 60, "restart", interval=0.02)
        noticed = time.monotonic() - killed
        # Output flows again: the new attempt's sink has acknowledged records.
        wait_until(lambda: (s := cluster.status(job))["state"] == "RUNNING"
                   and s["operators"][-1]["records_out"] > 0, 60, "output", interval=0.02)
        flowing = time.monotonic() - killed
        values = list(durations.values())
        print(json.dumps({
            "rate": args.rate, "interval": args.interval, "guarantee": args.guarantee,
            "checkpoints": len(values),
            "checkpoint_ms_p50": percentile(values, 50) if values else None,
            "checkpoint_ms_p99": percentile(values, 99) if values else None,
            "checkpoint_ms_max": max(values) if values else None,
            "records_before_kill": before["operators"][-1]["records_out"],
            "kill_to_restart_s": round(noticed, 3),
            "kill_to_output_flowing_s": round(flowing, 3),
        }))
    finally:
        if producer:
            producer.stop()
        if cluster:
            cluster.close()
        kafka.close()


if __name__ == "__main__":
    main()
