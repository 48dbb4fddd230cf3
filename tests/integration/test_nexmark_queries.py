"""Nexmark q0, q1 and q2 (bench/nexmark/*.json) on a real cluster, checked record by record.

ec-nexmark-gen writes N events into a 2-partition topic; the three query jobs run side by side
at parallelism 2, exactly-once with 1 s checkpoints, and write their results to Kafka. Each
output topic, read back at read_committed with kcat, must equal (as a multiset) what the SQL
text means, computed here in Python from the same generator's `--output -` stream: q0 every
bid's fields, q1 the price times 0.908 as an exact decimal, q2 the bids on every 123rd
auction. q2 run bounded (`--stop-at latest`) finishes by itself with the same results."""
import json
import subprocess
import uuid
from collections import Counter
from decimal import Decimal

from cluster import Cluster, bin_dir, wait_until
from kafka_fixture import source_dir

N = 20_000
GEN_ARGS = ["--count", str(N), "--seed", "7"]


def generated_events() -> list[dict]:
    out = subprocess.run([str(bin_dir() / "ec-nexmark-gen"), *GEN_ARGS, "--output", "-"],
                         check=True, capture_output=True, timeout=120)
    return [json.loads(line) for line in out.stdout.splitlines()]


def expected_outputs(events: list[dict]) -> dict[str, list[dict]]:
    bids = [e["bid"] for e in events if e["event_type"] == 2]
    return {
        "q0": [{k: b[k] for k in ("auction", "bidder", "price", "dateTime", "extra")}
               for b in bids],
        "q1": [{"auction": b["auction"], "bidder": b["bidder"],
                "price": Decimal("0.908") * b["price"], "dateTime": b["dateTime"],
                "extra": b["extra"]} for b in bids],
        "q2": [{"auction": b["auction"], "price": b["price"]} for b in bids
               if b["auction"] % 123 == 0],
    }


def as_multiset(records: list[dict]) -> Counter:
    return Counter(json.dumps(r, sort_keys=True, default=str) for r in records)


def test_nexmark_q0_q1_q2_give_what_their_sql_means(kafka):
    suffix = uuid.uuid4().hex[:10]
    source = f"nexmark_{suffix}"
    kafka.create_topic(source, partitions=2)
    subprocess.run([str(bin_dir() / "ec-nexmark-gen"), *GEN_ARGS, "--bootstrap-servers",
                    kafka.plaintext, "--topic", source], check=True, capture_output=True,
                   timeout=120)
    expected = expected_outputs(generated_events())
    assert len(expected["q0"]) == N * 46 // 50
    assert 0 < len(expected["q2"]) < len(expected["q0"]) // 20

    cluster = Cluster(taskmanagers=2, slots=3)
    try:
        jobs = {}
        for query in ("q0", "q1", "q2"):
            sink = f"nexmark_{query}_{suffix}"
            kafka.create_topic(sink)
            jobs[query] = cluster.submit(
                str(source_dir() / "bench" / "nexmark" / f"{query}.json"), input_topic=source,
                kafka_topic=sink, group_id=f"ec-{query}-{suffix}",
                kafka_bootstrap_servers=kafka.plaintext, checkpoint_interval="1s", parallelism=2)
        for query, job in jobs.items():
            sink = f"nexmark_{query}_{suffix}"
            want = len(expected[query])
            wait_until(lambda: len(kafka.read_topic(sink, timeout=5)) >= want, 240,
                       f"{query}'s {want} results committed to {sink}", interval=2)
            got = [json.loads(v, parse_float=Decimal) for v in kafka.read_topic(sink)]
            assert as_multiset(got) == as_multiset(expected[query]), query
            status = cluster.status(job)
            assert status["state"] == "RUNNING"
            select = cluster.operator(job, "select")
            assert select["records_in"] == N and select["records_out"] == want
            assert int(select.get("records_dead_letter", 0)) == 0
        # q1's prices keep the scale of 0.908 * price, DECIMAL(23, 3): three digits after the
        # point.
        first = kafka.read_topic(f"nexmark_q1_{suffix}")[0].decode()
        assert json.loads(first, parse_float=Decimal)["price"].as_tuple().exponent == -3, first
        for job in jobs.values():
            cluster.ecctl("cancel", job)
            cluster.wait_for_state(job, "CANCELED")
        # Bounded (--stop-at latest, as the benchmark runs it): once their slots are free, q2
        # again ends FINISHED on its own with every result committed.
        bounded_sink = f"nexmark_q2_bounded_{suffix}"
        kafka.create_topic(bounded_sink)
        bounded = cluster.submit(
            str(source_dir() / "bench" / "nexmark" / "q2.json"), input_topic=source,
            kafka_topic=bounded_sink, group_id=f"ec-q2b-{suffix}", stop_at="latest",
            kafka_bootstrap_servers=kafka.plaintext, checkpoint_interval="1s", parallelism=2)
        cluster.wait_for_state(bounded, "FINISHED", timeout=180)
        got = [json.loads(v, parse_float=Decimal) for v in kafka.read_topic(bounded_sink)]
        assert as_multiset(got) == as_multiset(expected["q2"])
    finally:
        cluster.close()


def test_a_bad_select_is_refused_at_submit_naming_the_field(kafka, tmp_path):
    job = json.loads((source_dir() / "bench" / "nexmark" / "q2.json").read_text())
    job["pipeline"][1]["where"] = "event_type = 2 AND MOD(bid.auction, 123 = 0"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(job))
    cluster = Cluster(taskmanagers=1)
    try:
        bad = cluster.ecctl("submit", str(path), "--kafka-bootstrap-servers", kafka.plaintext,
                            check=False)
        assert bad.returncode != 0
        assert "pipeline[1].where: expected ')' at 44 in" in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    finally:
        cluster.close()

