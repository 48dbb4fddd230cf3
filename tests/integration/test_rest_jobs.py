"""Submitting a job as Flink's web UI does, against real processes: a job file uploaded over
POST /jars/upload (multipart), listed, run with program arguments, deleted; bad files refused
with the same one-line message as ecctl; and the two Flink CVEs on these paths
(CVE-2020-17518: an upload's file name that climbs out of the upload directory;
CVE-2020-17519: a path parameter that does) as test cases."""
import json
import os
import re
import socket
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from cluster import Cluster, Producer, bin_dir, rest_request, wait_until
from kafka_fixture import source_dir

JOB = source_dir() / "examples" / "job.json"


def request(method, url, token=None, body: bytes | None = None, content_type=None):
    """(status, body) of one request (rest_request without the Content-Type)."""
    status, _, answer = rest_request(method, url, token, body, content_type)
    return status, answer


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"jarfile\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/json\r\n\r\n").encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def cluster(secure_cluster):
    return secure_cluster


def upload(cluster, filename, content, token=None):
    body, content_type = multipart(filename, content)
    return request("POST", f"http://127.0.0.1:{cluster.rest_port}/jars/upload",
                   token or cluster.admin_token, body, content_type)


def test_upload_list_run_and_delete_a_job_file(cluster, kafka, tmp_path):
    base = f"http://127.0.0.1:{cluster.rest_port}"
    # CVE-2020-17518: the client's file name climbs out; the server names the file itself.
    escape = Path("/tmp") / f"ec-cve-17518-{uuid.uuid4().hex}.json"
    status, body = upload(cluster, f"../../../../../..{escape}", JOB.read_bytes(),
                          cluster.viewer_token)
    assert status == 403, body
    status, body = upload(cluster, f"../../../../../..{escape}", JOB.read_bytes())
    assert status == 200, body
    jar_id = json.loads(body)["filename"]
    assert len(jar_id) == 37 and jar_id.endswith(".json"), jar_id
    assert not escape.exists(), "the upload was written where its file name pointed"
    [stored] = [p for p in (cluster.dir / "jm").rglob(jar_id)]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stored.read_bytes() == JOB.read_bytes()
    status, body = request("GET", f"{base}/jars", cluster.viewer_token)
    assert status == 200
    [entry] = json.loads(body)["files"]
    assert entry["id"] == jar_id and entry["name"] == escape.name, entry

    producer = Producer(tmp_path, "--rate", "500", "--seed", "5")
    topic = kafka.create_job_topics("events_jars_")
    try:
        run = {"programArgsList": ["--hostname", "127.0.0.1", "--port", str(producer.port),
                                   "--kafka-bootstrap-servers", kafka.plaintext,
                                   "--kafka-topic", topic],
               "parallelism": 1}
        status, body = request("POST", f"{base}/jars/{jar_id}/run", cluster.viewer_token,
                               json.dumps(run).encode(), "application/json")
        assert status == 403, body
        status, body = request("POST", f"{base}/jars/{jar_id}/run", cluster.admin_token,
                               json.dumps(run).encode(), "application/json")
        assert status == 200, body
        job = json.loads(body)["jobid"]
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "kafka-sink")["records_in"] > 50, 60,
                   "records to reach the sink of the uploaded job")
        assert f'action="submit" job={job} via=REST upload={jar_id}' in cluster.jobmanager.log()
    finally:
        producer.stop()

    status, body = request("DELETE", f"{base}/jars/{jar_id}", cluster.admin_token)
    assert status == 200, body
    assert json.loads(request("GET", f"{base}/jars", cluster.viewer_token)[1])["files"] == []
    assert request("DELETE", f"{base}/jars/{jar_id}", cluster.admin_token)[0] == 404


def test_a_bad_job_file_is_refused_with_ecctls_message(cluster, tmp_path):
    base = f"http://127.0.0.1:{cluster.rest_port}"
    status, body = upload(cluster, "notes.txt", b"not json at all")
    assert status == 400 and "not a JSON object" in json.loads(body)["errors"][0], body
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "pipeline": [
        {"type": "socket-source", "hostname": "h", "port": 70000}, {"type": "discard-sink"}]}))
    status, body = upload(cluster, "bad.json", bad.read_bytes())
    assert status == 200, body
    jar_id = json.loads(body)["filename"]
    status, body = request("POST", f"{base}/jars/{jar_id}/run", cluster.admin_token, b"{}",
                           "application/json")
    assert status == 400, body
    [message] = json.loads(body)["errors"]
    ecctl = cluster.ecctl("submit", str(bad), check=False)
    assert ecctl.returncode != 0 and message in ecctl.stderr, (message, ecctl.stderr)
    assert "\n" not in message and "port" in message, message
    # Program arguments that are not --KEY VALUE are refused the same way.
    status, body = request("POST", f"{base}/jars/{jar_id}/run", cluster.admin_token,
                           json.dumps({"programArgs": "--port"}).encode(), "application/json")
    assert status == 400 and "--port needs a value" in json.loads(body)["errors"][0], body


def test_a_savepoint_with_state_the_job_lacks_needs_allow_non_restored_state(cluster, tmp_path):
    """As in Flink: savepointPath with state of an operator the job does not have is refused
    unless allowNonRestoredState is true."""
    base = f"http://127.0.0.1:{cluster.rest_port}"
    producer = Producer(tmp_path, "--rate", "200", "--seed", "8")
    try:
        spec = {"name": "stateful", "pipeline": [
            {"name": "reader", "type": "socket-source", "hostname": "127.0.0.1",
             "port": producer.port}, {"type": "discard-sink"}]}
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps(spec))
        job = cluster.submit(str(job_file))
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.operator(job, "reader")["records_out"] > 0, 60, "records")
        status, body = request("POST", f"{base}/jobs/{job}/savepoints", cluster.admin_token,
                               json.dumps({"target-directory": str(tmp_path)}).encode(),
                               "application/json")
        assert status == 202, body
        poll = f"{base}/jobs/{job}/savepoints/{json.loads(body)['request-id']}"
        done = wait_until(lambda: (a := json.loads(request("GET", poll, cluster.viewer_token)[1]))
                          ["status"]["id"] == "COMPLETED" and a, 60, "the savepoint")
        savepoint = done["operation"]["location"]
        cluster.ecctl("cancel", job)

        spec["pipeline"][0]["name"] = "renamed"
        status, body = upload(cluster, "renamed.json", json.dumps(spec).encode())
        assert status == 200, body
        run = f"{base}/jars/{json.loads(body)['filename']}/run"
        for allow, expected in ((None, 400), (False, 400), ("maybe", 400), (True, 200)):
            body = {"savepointPath": savepoint}
            if allow is not None:
                body["allowNonRestoredState"] = allow
            status, answer = request("POST", run, cluster.admin_token, json.dumps(body).encode(),
                                     "application/json")
            assert status == expected, (allow, answer)
            if allow in (None, False):
                [message] = json.loads(answer)["errors"]
                assert "holds state of reader, which the job does not have" in message, message
        # The query parameter, as Flink's, works too.
        status, answer = request("POST", run + "?allowNonRestoredState=true", cluster.admin_token,
                                 json.dumps({"savepointPath": savepoint}).encode(),
                                 "application/json")
        assert status == 200, answer
    finally:
        producer.stop()


def test_paths_cannot_climb_out(cluster):
    """CVE-2020-17519 read any file through an encoded '../' in a path parameter."""
    base = f"http://127.0.0.1:{cluster.rest_port}"
    for path in ("/jobmanager/logs/..%252f..%252f..%252f..%252fetc%252fpasswd",
                 "/jars/..%2f..%2f..%2fetc%2fpasswd/run", "/jars/../../etc/passwd",
                 "/taskmanagers/..%2f..%2fetc%2fpasswd/log"):
        for method in ("GET", "POST", "DELETE"):
            status, body = request(method, base + path, cluster.admin_token, b"{}",
                                   "application/json")
            assert status in (400, 404, 405), (method, path, status, body)
            assert b"root:" not in body, (method, path)


def test_jobs_beyond_max_jobs_are_refused_until_one_ends(tmp_path):
    c = Cluster(taskmanagers=0, secure=True, jm_args=("--max-jobs", "1"))
    try:
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps({"name": "waits", "pipeline": [
            {"type": "socket-source", "hostname": "127.0.0.1", "port": 9},
            {"type": "discard-sink"}]}))
        first = c.submit(str(job_file))
        refused = c.ecctl("submit", str(job_file), check=False)
        assert refused.returncode != 0, refused.stdout
        [line] = refused.stderr.strip().splitlines()
        assert "--max-jobs" in line and "1 jobs have not ended" in line, line

        status, body = upload(c, "job.json", job_file.read_bytes())
        assert status == 200, body
        run = f"http://127.0.0.1:{c.rest_port}/jars/{json.loads(body)['filename']}/run"
        status, body = request("POST", run, c.admin_token, b"{}", "application/json")
        assert status == 429 and "--max-jobs" in json.loads(body)["errors"][0], body
        [listed] = c.ecctl("list").stdout.strip().splitlines()
        assert listed.startswith(first), listed

        c.ecctl("cancel", first)
        c.wait_for_state(first, "CANCELED")
        status, body = request("POST", run, c.admin_token, b"{}", "application/json")
        assert status == 200, body
    finally:
        c.close()


def raw_exchange(port: int, request: bytes) -> tuple[float, bytes]:
    """Sends raw bytes and reads one whole response; returns (seconds taken, response)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response or len(response.split(b"\r\n\r\n", 1)[1]) < int(
                re.search(rb"Content-Length: (\d+)", response).group(1)):
            chunk = s.recv(65536)
            if not chunk:
                break
            response += chunk
    return time.monotonic() - started, response


def test_hostile_requests_get_answers_and_the_jobmanager_lives(cluster):
    """Found by rest_fuzzer: a path that is not UTF-8 made the JSON error body throw and the
    JobManager abort; a POST without a length held a server thread for 10 s."""
    token = f"Authorization: Bearer {cluster.viewer_token}\r\n".encode()
    _, response = raw_exchange(cluster.rest_port,
                               b"GET /jobs/\xb6\xff HTTP/1.1\r\nHost: x\r\n" + token + b"\r\n")
    assert response.startswith(b"HTTP/1.1 404"), response
    assert "Not found: /jobs/\ufffd\ufffd" in json.loads(response.split(b"\r\n\r\n", 1)[1])[
        "errors"][0]
    seconds, response = raw_exchange(
        cluster.rest_port, b"POST /jars/upload HTTP/1.1\r\nHost: x\r\n" + token + b"\r\nabc")
    assert response.startswith(b"HTTP/1.1 411"), response
    assert seconds < 5, f"a POST without Content-Length was answered after {seconds:.1f} s"
    assert cluster.jobmanager.alive()
    status, _ = request("GET", f"http://127.0.0.1:{cluster.rest_port}/overview",
                        cluster.viewer_token)
    assert status == 200
