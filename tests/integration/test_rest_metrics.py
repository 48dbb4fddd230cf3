"""The REST API in Flink's shapes and the Prometheus metrics, against real processes: a real
Prometheus server scrapes the JobManager's and the TaskManagers' /metrics with a viewer's
token."""
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cluster import Cluster, Producer, free_port, rest_request, wait_until
from kafka_fixture import source_dir

JOB = str(source_dir() / "examples" / "job.json")


@pytest.fixture
def running(kafka, tmp_path):
    """A secure two-TaskManager cluster running the original job at parallelism 2."""
    cluster = Cluster(taskmanagers=2, slots=1, secure=True)
    producer = Producer(tmp_path, "--rate", "500", "--seed", "3")
    topic = kafka.create_job_topics("events_rest_")
    job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port, parallelism=2,
                         kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic)
    cluster.wait_for_state(job, "RUNNING")
    wait_until(lambda: cluster.operator(job, "kafka-sink")["records_in"] > 100, 60,
               "records to reach the sink")
    try:
        yield cluster, job
    finally:
        producer.stop()
        cluster.close()


def test_flink_shaped_paths(running):
    cluster, job = running
    base = f"http://127.0.0.1:{cluster.rest_port}"
    viewer = cluster.viewer_token

    def get(path):
        status, content_type, body = rest_request("GET", base + path, viewer)
        assert status == 200, (path, status, body)
        assert content_type.startswith("application/json"), (path, content_type)
        return json.loads(body)

    config = get("/config")
    assert {"refresh-interval", "timezone-name", "flink-version", "features"} <= set(config)
    overview = get("/overview")
    assert overview["taskmanagers"] == 2 and overview["slots-total"] == 2
    assert overview["slots-available"] == 0 and overview["jobs-running"] == 1
    assert "eventcluster-version" in overview
    assert get("/jobs") == {"jobs": [{"id": job, "status": "RUNNING"}]}
    [entry] = get("/jobs/overview")["jobs"]
    assert entry["jid"] == job and entry["state"] == "RUNNING" and entry["end-time"] == -1
    # socket-source x1, then json-parse -> event-map -> kafka-sink x2: 3 tasks, all running.
    assert entry["tasks"]["total"] == 3 and entry["tasks"]["running"] == 3, entry
    assert get(f"/jobs/{job}/status") == {"status": "RUNNING"}
    details = get(f"/jobs/{job}")
    assert details["jid"] == job and details["state"] == "RUNNING" and details["duration"] >= 0
    # Flink's vertices and plan: the non-parallel source, then the parallel chain it rebalances to.
    source, chain = details["vertices"]
    assert source["parallelism"] == 1 and chain["parallelism"] == 2, details["vertices"]
    assert chain["name"] == "json-parse -> event-map -> kafka-sink" and chain["status"] == "RUNNING"
    wait_until(lambda: get(f"/jobs/{job}")["vertices"][1]["metrics"]["read-records"] > 0, 30,
               "records read by the chain")
    [node] = [n for n in details["plan"]["nodes"] if n["id"] == chain["id"]]
    assert node["inputs"] == [{"num": 0, "id": source["id"], "ship_strategy": "REBALANCE",
                               "exchange": "pipelined_bounded"}], node
    vertex = get(f"/jobs/{job}/vertices/{chain['id']}")
    tm_addresses = {tm["path"] for tm in get("/taskmanagers")["taskmanagers"]}
    assert [s["subtask"] for s in vertex["subtasks"]] == [0, 1], vertex
    assert all(s["endpoint"] in tm_addresses and s["status"] == "RUNNING"
               for s in vertex["subtasks"]), vertex
    pressure = get(f"/jobs/{job}/vertices/{chain['id']}/backpressure")
    assert pressure["backpressureLevel"] in ("ok", "low", "high")
    for s in pressure["subtasks"]:
        assert abs(s["ratio"] + s["busyRatio"] + s["idleRatio"] - 1) < 0.05, s
    status, _, body = rest_request("GET", f"{base}/jobs/{job}/vertices/{'f' * 32}", viewer)
    assert status == 404 and json.loads(body)["errors"], body
    tms = get("/taskmanagers")["taskmanagers"]
    assert len(tms) == 2
    for tm in tms:
        assert tm["slotsNumber"] == 1 and tm["freeSlots"] == 0 and tm["dataPort"] > 0, tm
    # Flink's error body, for an unknown job and an unknown path.
    status, _, body = rest_request("GET", f"{base}/jobs/{'0' * 32}/status", viewer)
    assert status == 404 and json.loads(body)["errors"], body
    status, _, body = rest_request("GET", f"{base}/no/such/path", viewer)
    assert status == 404 and json.loads(body)["errors"], body


def test_cancel_by_patch_needs_an_admin(running):
    cluster, job = running
    url = f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}?mode=cancel"
    assert rest_request("PATCH", url)[0] == 401
    status, _, body = rest_request("PATCH", url, cluster.viewer_token)
    assert status == 403, body
    assert cluster.state(job) == "RUNNING"
    status, _, body = rest_request("PATCH", url, cluster.admin_token)
    assert status == 202, body
    cluster.wait_for_state(job, "CANCELED")
    wait_until(lambda: f'user=ada role=admin action="cancel" job={job} via=REST'
               in cluster.jobmanager.log(), 30, "the audit line of the REST cancel")


def prometheus_query(port: int, query: str) -> list:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return []
    return body["data"]["result"] if body.get("status") == "success" else []


def test_a_real_prometheus_scrapes_the_jobmanager_and_every_taskmanager(running, tmp_path):
    """As with Flink's PrometheusReporter, each process serves its own scope: the JobManager's
    on its REST port, each TaskManager's tasks and operators on the metricsPort /taskmanagers
    reports, all under Flink's names with the default prefix `eventcluster`."""
    cluster, job = running
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (scripts/setup.sh installs it)"
    # Without a token the scrape is refused: metrics are not for strangers.
    assert rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}/metrics")[0] == 401
    _, _, body = rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}/taskmanagers",
                              cluster.viewer_token)
    tm_ports = sorted(tm["metricsPort"] for tm in json.loads(body)["taskmanagers"])
    assert len(tm_ports) == 2 and all(p > 0 for p in tm_ports), tm_ports
    for p in tm_ports:
        assert rest_request("GET", f"http://127.0.0.1:{p}/metrics")[0] == 401
        status, _, text = rest_request("GET", f"http://127.0.0.1:{p}/metrics",
                                       cluster.viewer_token)
        assert status == 200 and b"eventcluster_taskmanager_Status_Memory_RSS" in text, text[:500]
    token_file = tmp_path / "viewer.token"
    token_file.write_text(cluster.viewer_token)
    targets = ", ".join(f'"127.0.0.1:{p}"' for p in tm_ports)
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: jobmanager
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{cluster.rest_port}"]
  - job_name: taskmanager
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: [{targets}]
""")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    server = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: len(prometheus_query(port, "up == 1")) == 3, 90,
                   "Prometheus to scrape the JobManager and both TaskManagers")
        tms = wait_until(
            lambda: prometheus_query(port, "eventcluster_jobmanager_numRegisteredTaskManagers"),
            60, "the TaskManager count")
        assert tms[0]["value"][1] == "2"
        sink = f'{{job_id="{job}",operator_name="kafka-sink"}}'
        query = f"sum(eventcluster_taskmanager_job_task_operator_numRecordsOut{sink})"

        def sink_out():
            result = prometheus_query(port, query)
            return float(result[0]["value"][1]) if result else 0.0

        # The sink's acknowledged records, summed over both TaskManagers, keep growing.
        wait_until(lambda: sink_out() > 0, 60, "the sink's records in Prometheus")
        first = sink_out()
        wait_until(lambda: sink_out() > first, 60, "the sink's records to grow")
        subtasks = prometheus_query(port, f"eventcluster_taskmanager_job_task_operator_"
                                          f"numRecordsOut{sink}")
        assert sorted(s["metric"]["subtask_index"] for s in subtasks) == ["0", "1"], subtasks
        # One subtask on each TaskManager, each served by its own.
        assert len({s["metric"]["tm_id"] for s in subtasks}) == 2, subtasks
        assert all(s["metric"]["task_name"] == "json-parse -> event-map -> kafka-sink"
                   and s["metric"]["job"] == "taskmanager" for s in subtasks), subtasks
        # The socket source counts what it reads (the original showed 0 there).
        source = wait_until(lambda: prometheus_query(
            port, f'eventcluster_taskmanager_job_task_operator_numRecordsOut{{job_id="{job}",'
                  f'operator_name="socket-source"}} > 0'), 30, "the source's records")
        assert source
        for name in ("busyTimeMsPerSecond", "idleTimeMsPerSecond", "backPressuredTimeMsPerSecond"):
            rates = prometheus_query(port, f'eventcluster_taskmanager_job_task_{name}'
                                           f'{{job_id="{job}"}}')
            assert len(rates) == 3, (name, rates)  # the source's task and the chain's two
            assert all(0 <= float(r["value"][1]) <= 1000 for r in rates), rates
        in_flight = prometheus_query(port, f"eventcluster_taskmanager_job_task_operator_"
                                           f"recordsInFlight{sink}")
        assert len(in_flight) == 2, in_flight
        rss = prometheus_query(port, '{__name__=~"eventcluster_(job|task)manager_Status_Memory_RSS"}')
        assert len(rss) == 3 and all(float(r["value"][1]) > 1e6 for r in rss), rss
        restarts = prometheus_query(port, f'eventcluster_jobmanager_job_numRestarts{{job_id="{job}"}}')
        assert restarts and restarts[0]["value"][1] == "0"
        # Each record is counted once over all targets: the JobManager serves no task metrics.
        assert not prometheus_query(port, 'count({job="jobmanager",__name__=~".*taskmanager_job.*"})')
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_checkpoints_and_exceptions_after_a_taskmanager_is_lost(kafka, tmp_path):
    """A checkpointing job loses a TaskManager: /jobs/:jid/exceptions names it, and
    /jobs/:jid/checkpoints counts the completed checkpoints, summarises their durations and
    says which one the new attempt restored, in Flink's field names."""
    cluster = Cluster(taskmanagers=1, slots=2, secure=True)
    producer = Producer(tmp_path, "--rate", "500", "--seed", "4")
    topic = kafka.create_job_topics("events_rest_")
    try:
        job = cluster.submit(JOB, hostname="127.0.0.1", port=producer.port,
                             kafka_bootstrap_servers=kafka.plaintext, kafka_topic=topic,
                             checkpoint_interval="300ms")
        cluster.wait_for_state(job, "RUNNING")
        base = f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}"

        def get(path):
            status, _, body = rest_request("GET", base + path, cluster.viewer_token)
            assert status == 200, (path, status, body)
            return json.loads(body)

        wait_until(lambda: get("/checkpoints")["counts"]["completed"] >= 3, 60,
                   "three completed checkpoints")
        assert get("/exceptions")["exceptionHistory"]["entries"] == []
        victim = cluster.taskmanager_of(job)
        lost_id = cluster.status(job)["operators"][0]["subtasks"][0]["taskmanager_id"]
        victim.kill()
        cluster.add_taskmanager(slots=2)
        wait_until(lambda: cluster.status(job)["restarts"] >= 1, 90, "the restart")
        cluster.wait_for_state(job, "RUNNING", timeout=90)

        [entry, *_] = wait_until(lambda: get("/exceptions")["exceptionHistory"]["entries"], 30,
                                 "the exception entry")
        assert entry["taskManagerId"] == lost_id, entry
        assert "lost" in entry["stacktrace"] and entry["timestamp"] > 0, entry

        checkpoints = wait_until(lambda: (c := get("/checkpoints"))["latest"]["restored"] and c,
                                 30, "the restored checkpoint")
        restored = checkpoints["latest"]["restored"]
        assert restored["id"] >= 3 and restored["is_savepoint"] is False, restored
        completed = checkpoints["latest"]["completed"]
        assert completed["status"] == "COMPLETED" and completed["external_path"], completed
        duration = checkpoints["summary"]["end_to_end_duration"]
        assert 0 <= duration["min"] <= duration["p50"] <= duration["max"], duration
        assert checkpoints["counts"]["completed"] >= 3
        history = checkpoints["history"]
        assert 1 <= len(history) <= 11 and history[0]["id"] >= restored["id"], history
    finally:
        producer.stop()
        cluster.close()


def test_savepoint_and_stop_over_rest_are_asynchronous_and_for_admins(running, tmp_path):
    cluster, job = running
    base = f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}"

    def post(path, body, token):
        status, _, answer = rest_request("POST", base + path, token, json.dumps(body).encode(),
                                         "application/json")
        return status, json.loads(answer)

    def outcome(request_id):
        status, _, body = rest_request("GET", f"{base}/savepoints/{request_id}", cluster.viewer_token)
        assert status == 200, body
        body = json.loads(body)
        return body if body["status"]["id"] == "COMPLETED" else None

    target = tmp_path / "savepoints"
    status, body = post("/savepoints", {"target-directory": str(target)}, cluster.viewer_token)
    assert status == 403, body
    status, body = post("/savepoints", {"target-directory": str(target), "cancel-job": False},
                        cluster.admin_token)
    assert status == 202 and len(body["request-id"]) == 32, body
    done = wait_until(lambda: outcome(body["request-id"]), 60, "the savepoint")
    location = done["operation"]["location"]
    assert location.startswith(str(target)) and (Path(location) / "_metadata").is_file(), done
    assert cluster.state(job) == "RUNNING"
    status, _, missing = rest_request("GET", f"{base}/savepoints/{'0' * 32}", cluster.viewer_token)
    assert status == 404 and json.loads(missing)["errors"]

    status, body = post("/stop", {"targetDirectory": str(target)}, cluster.admin_token)
    assert status == 202, body
    done = wait_until(lambda: outcome(body["request-id"]), 60, "the stop-with-savepoint")
    assert (Path(done["operation"]["location"]) / "_metadata").is_file(), done
    cluster.wait_for_state(job, "FINISHED")
    assert f'action="stop" job={job} via=REST' in cluster.jobmanager.log()
