"""Back-pressure: a deliberately slow stage (a throttle of 10,000 records/s per subtask, in front
of the Kafka sink) behind a rebalance exchange. Credits run out, the source's sends wait, it
stops reading its socket and the producer waits in turn: memory stays bounded on every
TaskManager, `ecctl status` shows the source back-pressured, and every event still arrives
exactly once."""
import json
import time
import uuid

from cluster import Cluster, Producer, exactly_once_output, wait_until

N = 300_000
JOB = {
    "name": "slow-sink", "parallelism": 2, "checkpoint-interval": "1s",
    "pipeline": [
        {"name": "socket-source", "type": "socket-source", "hostname": "${hostname}",
         "port": "${port}"},
        {"name": "json-parse", "type": "json-parse", "dead-letter-topic": "none"},
        {"name": "slow", "type": "throttle", "records-per-second": 10000},
        {"name": "kafka-sink", "type": "kafka-sink", "topic": "${kafka-topic}"},
    ],
}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_slow_stage_back_pressures_the_source_with_bounded_memory(kafka, tmp_path):
    topic = f"events_slow_{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=2)
    job_file = tmp_path / "slow.json"
    job_file.write_text(json.dumps(JOB))
    cluster = Cluster(taskmanagers=2, slots=1)
    producer = Producer(tmp_path, "--rate", "0", "--count", str(N), "--seed", "3")
    try:
        job = cluster.submit(str(job_file), hostname="127.0.0.1", port=producer.port,
                             kafka_topic=topic, kafka_bootstrap_servers=kafka.plaintext,
                             delivery_guarantee="exactly-once")
        cluster.wait_for_state(job, "RUNNING", timeout=120)
        pids = [p.proc.pid for p in cluster.processes
                if p.name.startswith("taskmanager") and p.alive()]
        peak = {pid: 0.0 for pid in pids}
        started = time.monotonic()
        read_early = None
        while True:
            for pid in pids:
                peak[pid] = max(peak[pid], rss_mb(pid))
            written = cluster.operator(job, "slow")["records_out"]
            if read_early is None and time.monotonic() - started > 2:
                # Unthrottled, the source reads all N in about a second; held back, it has read
                # what the slow stage passed on (about 40,000 by now) plus what the channels'
                # credits let it buffer (10 batches of up to 4,096 records per input gate).
                read_early = cluster.operator(job, "socket-source")["records_out"]
            if written >= N or time.monotonic() - started > 120:
                break
            time.sleep(0.25)
        assert read_early is not None and read_early < 0.6 * N, read_early
        source = cluster.operator(job, "socket-source")["subtasks"][0]
        assert source["backpressured_ms"] > 1000, source
        assert all(mb < 200 for mb in peak.values()), peak
        exactly_once_output(kafka, topic, N)
        cluster.ecctl("cancel", job)
    finally:
        producer.stop()
        cluster.close()
