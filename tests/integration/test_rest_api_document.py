"""The REST API's OpenAPI document (jobmanager/openapi.json, served at GET /openapi.json) against
the real JobManager: every operation it lists is called on a cluster running a job, answers one
of the status codes the document gives, and a JSON answer has every field the document says is
required. Every path the server routes is in the document."""
import json
import re
import uuid

from cluster import Producer, rest_request, wait_until
from kafka_fixture import source_dir

JOB = {"name": "documented", "pipeline": [
    {"type": "socket-source", "hostname": "127.0.0.1", "port": 0},
    {"type": "json-parse"}, {"type": "windows-event-map"}, {"type": "discard-sink"}]}


def test_every_documented_operation_answers_as_documented(secure_cluster, tmp_path):
    cluster = secure_cluster
    base = f"http://127.0.0.1:{cluster.rest_port}"
    status, _, body = rest_request("GET", base + "/openapi.json", cluster.viewer_token)
    assert status == 200, body
    document = json.loads(body)
    operations = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item}

    producer = Producer(tmp_path, "--rate", "200", "--seed", "3")
    called = {}

    def check(method, template, values, token, request_body=None, content_type=None, query=""):
        path = template.format(**values) + query
        status, ctype, answer = rest_request(method, base + path, token, request_body, content_type)
        spec = document["paths"][template][method.lower()]
        assert str(status) in spec["responses"], (method, path, status, answer[:300])
        media = spec["responses"][str(status)].get("content", {})
        if "application/json" in media:
            assert ctype.startswith("application/json"), (method, path, ctype)
            parsed = json.loads(answer)
            schema = media["application/json"]["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
            missing = [f for f in schema.get("required", []) if f not in parsed]
            assert not missing, (method, path, missing, parsed)
        else:
            [declared] = media
            assert ctype.startswith(declared), (method, path, ctype, declared)
        called[(template, method)] = status
        return status, answer

    try:
        spec = dict(JOB, pipeline=[dict(JOB["pipeline"][0], port=producer.port),
                                   *JOB["pipeline"][1:]])
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps(spec))
        job = cluster.submit(str(job_file), checkpoint_interval="300ms")
        cluster.wait_for_state(job, "RUNNING")
        wait_until(lambda: cluster.status(job)["checkpoints"]["completed"] >= 1, 60,
                   "a checkpoint")
        ids = {"jobid": job, "logname": "jobmanager.log",
               "taskmanagerid": cluster.taskmanager_list()[0]["id"]}
        _, answer = check("GET", "/jobs/{jobid}", ids, cluster.viewer_token)
        ids["vertexid"] = json.loads(answer)["vertices"][0]["id"]

        boundary = uuid.uuid4().hex
        upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"jarfile\"; "
                  f"filename=\"job.json\"\r\nContent-Type: application/json\r\n\r\n"
                  ).encode() + job_file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        _, answer = check("POST", "/jars/upload", ids, cluster.admin_token, upload,
                          f"multipart/form-data; boundary={boundary}")
        ids["jarid"] = json.loads(answer)["filename"]

        for template, method in sorted(operations):
            if method == "GET" and "{triggerid}" not in template:
                check(method, template, ids, None if template == "/" else cluster.viewer_token)
        _, log = check("GET", "/jobmanager/log", ids, cluster.viewer_token)
        assert f"job={job} submitted" in log.decode(), log[-2000:]
        assert check("GET", "/jobmanager/logs/{logname}", {"logname": "..%2Fjobs"},
                     cluster.viewer_token)[0] == 404
        # A TaskManager's log, read from it: it says where it registered.
        _, log = check("GET", "/taskmanagers/{taskmanagerid}/log", ids, cluster.viewer_token)
        assert "registered" in log.decode(), log[-2000:]
        assert check("GET", "/taskmanagers/{taskmanagerid}/log", {"taskmanagerid": "tm-none"},
                     cluster.viewer_token)[0] == 404

        check("POST", "/login", ids, None, json.dumps({"token": cluster.viewer_token}).encode(),
              "application/json")
        _, answer = check("POST", "/jobs/{jobid}/savepoints", ids, cluster.admin_token,
                          json.dumps({"target-directory": str(tmp_path / "savepoints")}).encode(),
                          "application/json")
        ids["triggerid"] = json.loads(answer)["request-id"]
        wait_until(lambda: json.loads(check("GET", "/jobs/{jobid}/savepoints/{triggerid}", ids,
                                            cluster.viewer_token)[1])["status"]["id"]
                   == "COMPLETED", 60, "the savepoint")

        _, answer = check("PATCH", "/jobs/{jobid}/rescaling", ids, cluster.admin_token,
                          query="?parallelism=2")
        ids["triggerid"] = json.loads(answer)["request-id"]
        wait_until(lambda: json.loads(check("GET", "/jobs/{jobid}/rescaling/{triggerid}", ids,
                                            cluster.viewer_token)[1])["status"]["id"]
                   == "COMPLETED", 120, "the rescale")
        wait_until(lambda: cluster.state(job) == "RUNNING", 120, "the job to run again")
        _, answer = check("GET", "/jobs/{jobid}", ids, cluster.viewer_token)
        assert [v["parallelism"] for v in json.loads(answer)["vertices"]][-1] == 2, answer

        _, answer = check("POST", "/jars/{jarid}/run", ids, cluster.admin_token,
                          json.dumps({"programArgsList": ["--checkpoint-interval", "300ms"]})
                          .encode(), "application/json")
        second = {"jobid": json.loads(answer)["jobid"]}
        cluster.wait_for_state(second["jobid"], "RUNNING")
        check("POST", "/jobs/{jobid}/stop", second, cluster.admin_token, b"{}",
              "application/json")
        check("PATCH", "/jobs/{jobid}", ids, cluster.admin_token)
        check("DELETE", "/jars/{jarid}", ids, cluster.admin_token)
    finally:
        producer.stop()

    assert set(called) == operations, f"not called: {operations - set(called)}"
    assert called[("/jobs/{jobid}", "PATCH")] == 202


def test_every_routed_path_is_documented():
    """Each route rest_server.cc registers appears in the document (as a path template)."""
    document = json.loads((source_dir() / "jobmanager" / "openapi.json").read_text())
    source = (source_dir() / "jobmanager" / "rest_server.cc").read_text()
    documented = {re.sub(r"\{[a-z]+\}", "X", p) for p in document["paths"]}
    routes = set()
    registered = re.findall(r'(?:server_->(?:Get|Post|Patch|Delete|Put)|job_get)\(\s*([^,]+?),',
                            source)
    for literal in (r for r in registered if r != "pattern"):  # job_get's own Get
        # Literals, or sums of the patterns named job_path, vertex_path and upload_path.
        text = (literal.replace("job_path", '"/jobs/X"')
                .replace("vertex_path", '"/jobs/X/vertices/X"')
                .replace("upload_path", '"/jars/X"'))
        parts = re.findall(r'R?"\(?(.*?)\)?"', text)
        path = "".join(parts)
        path = re.sub(r"\(\[[^)]*\)", "X", path)  # a capture group: a path parameter
        routes.add(path)
    missing = routes - documented
    assert not missing, f"routed but not in jobmanager/openapi.json: {missing}"
