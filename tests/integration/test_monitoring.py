"""The monitoring the compose file adds, without a Docker engine: Prometheus' configuration
checked with promtool, Grafana's provisioning and the dashboard's queries checked with promtool
and against the metric names the binaries export (and those against the binaries' sources).

promtool comes with Debian's prometheus package (scripts/setup.sh installs it).
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_containers import (COMPOSE, ROOT, compose, container_ports, env_example, env_list,
                             interpolate, load_yaml)

PROMETHEUS_CONFIG = ROOT / "docker" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "docker" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "eventcluster-job.json"
SOURCES = [ROOT / d for d in ("jobmanager", "taskmanager", "runtime", "connectors")]
# The scopes names are built from in the sources ("<scope>_" + what follows, or a gauge's name).
SCOPES = ("taskmanager_job_task_operator_", "taskmanager_job_task_", "taskmanager_",
          "jobmanager_job_", "jobmanager_")

# The metrics ec-jobmanager (GET /metrics on its REST port) and ec-taskmanager (on --metrics-port)
# export, named after --metrics-prefix and '_'. This mirrors the names in the binaries' sources
# (jobmanager/, taskmanager/, runtime/, connectors/): the dashboard may use only these.
METRIC_PREFIX = "eventcluster"  # what docker-compose.yml passes as EC_METRICS_PREFIX
METRICS = {
    *(f"jobmanager_{n}" for n in (
        "numRegisteredTaskManagers", "taskSlotsTotal", "taskSlotsAvailable", "numRunningJobs",
        "Status_CPU_Time", "Status_Memory_RSS", "job_uptime", "job_numRestarts",
        "job_numberOfCompletedCheckpoints", "job_numberOfFailedCheckpoints",
        "job_lastCheckpointDuration", "job_lastCheckpointSize")),
    *(f"taskmanager_{n}" for n in ("Status_CPU_Time", "Status_Memory_RSS",
                                   "Status_TaskSlots_Total", "Status_TaskSlots_Free")),
    *(f"taskmanager_job_task_{n}" for n in (
        "numBytesIn", "numBytesOut", "busyTimeMsPerSecond", "idleTimeMsPerSecond",
        "backPressuredTimeMsPerSecond", "accumulatedBusyTime", "accumulatedIdleTime",
        "accumulatedBackPressuredTime")),
    *(f"taskmanager_job_task_operator_{n}" for n in (
        "numRecordsIn", "numRecordsOut", "numRecordsDeadLetter", "currentOutputWatermark",
        "KafkaSourceReader_topic_partition_currentOffset", "KafkaSourceReader_topic_partition_lag",
        "pendingRecords", "numRecordsSendErrors", "recordsInFlight")),
}
# Left out of the dashboard on purpose: the per-second times show the same as the accumulated
# ones, the lag more than the offset; the original job has no event-time watermarks; the
# JobManager's slot counts cover the TaskManagers'.
NOT_ON_DASHBOARD = {"taskmanager_Status_TaskSlots_Total", "taskmanager_Status_TaskSlots_Free",
                    "taskmanager_job_task_accumulatedBusyTime",
                    "taskmanager_job_task_accumulatedIdleTime",
                    "taskmanager_job_task_accumulatedBackPressuredTime",
                    "taskmanager_job_task_operator_currentOutputWatermark",
                    "taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset"}

# ---------------------------------------------------------------------- Prometheus and Grafana
def rendered_compose() -> dict:
    return load_yaml(interpolate(COMPOSE.read_text(), env_example()))


def mounts(service: dict) -> dict:
    """{source: target} of a service's volumes."""
    return dict(v.split(":")[:2] for v in service.get("volumes") or [])


def prometheus_config() -> dict:
    return load_yaml(PROMETHEUS_CONFIG.read_text())


def dashboard_panels(panels: list) -> list:
    """Every panel but rows, those inside collapsed rows included."""
    out = []
    for p in panels:
        out += dashboard_panels(p.get("panels", [])) if p["type"] == "row" else [p]
    return out


def dashboard_queries() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard_panels(doc["panels"]) for t in p["targets"]]
    return queries + [v["definition"] for v in doc["templating"]["list"] if v["type"] == "query"]


_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
                 "and", "or", "unless", "inf", "nan"}


def metric_names(query: str) -> set[str]:
    """The metric names in a PromQL expression (or a Grafana label_values(METRIC, LABEL))."""
    query = re.sub(r"^label_values\((.*),\s*\w+\s*\)$", r"\1", query.strip())
    query = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", query)  # grouping labels
    query = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"', " ", query)  # matchers, ranges, strings
    names = re.findall(r"(?<![\w.])([A-Za-z_:][\w:]*)\b(?!\s*\()", query)
    return {n for n in names if n.lower() not in _PROMQL_WORDS and not n.startswith("$")}


def test_compose_prometheus_scrapes_with_the_viewer_token_from_a_tmpfs():
    services = compose()["services"]
    prometheus = services["prometheus"]
    image = interpolate(prometheus["image"], env_example())
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", image), f"unpinned image {image}"
    # No login of its own: reachable from this host only.
    for port in prometheus["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"Prometheus published beyond loopback: {port}"
    assert mounts(prometheus)["./docker/prometheus/prometheus.yml"] == \
        "/etc/prometheus/prometheus.yml"
    # The entrypoint writes the token into the file the scrape configs read, on a tmpfs, from the
    # variable (never the token itself in the command), then runs Prometheus with that config.
    script = " ".join(prometheus["entrypoint"] + prometheus["command"])
    files = {job["authorization"]["credentials_file"]
             for job in prometheus_config()["scrape_configs"]}
    assert len(files) == 1
    credentials = files.pop()
    assert re.search(rf'printf \'%s\' "\$\$EC_VIEWER_TOKEN" >{re.escape(credentials)}\n', script)
    assert str(Path(credentials).parent) in prometheus["tmpfs"]
    assert "exec /bin/prometheus --config.file=/etc/prometheus/prometheus.yml" in script
    assert env_list(prometheus)["EC_VIEWER_TOKEN"].startswith("${EC_VIEWER_TOKEN:?")
    for job in prometheus_config()["scrape_configs"]:
        assert set(job["authorization"]) == {"credentials_file"}, "a token in the committed file"
        assert not {"bearer_token", "basic_auth"} & set(job), "a token in the committed file"


def test_prometheus_finds_the_jobmanager_and_every_taskmanager():
    services = compose()["services"]
    jobs = {job["job_name"]: job for job in prometheus_config()["scrape_configs"]}
    rest_port = env_list(services["jobmanager"])["EC_JOBMANAGER_REST_PORT"]
    assert jobs["jobmanager"]["static_configs"] == [{"targets": [f"jobmanager:{rest_port}"]}]
    # Every replica: the service name resolves to each container's address.
    [dns] = jobs["taskmanager"]["dns_sd_configs"]
    assert dns["names"] == ["taskmanager"] and dns["type"] == "A"
    tm_env = env_list(services["taskmanager"])
    assert str(dns["port"]) == tm_env["EC_METRICS_PORT"] == "9249"
    for name in ("jobmanager", "taskmanager"):
        assert env_list(services[name])["EC_METRICS_PREFIX"] == METRIC_PREFIX, name
        assert env_list(services[name])["EC_VIEWER_TOKEN"].startswith("${EC_VIEWER_TOKEN:?")


def test_prometheus_config_passes_promtool(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus; scripts/setup.sh)")
    token = tmp_path / "viewer-token"
    token.write_text("test-token")
    text = PROMETHEUS_CONFIG.read_text()
    config = tmp_path / "prometheus.yml"
    config.write_text(text.replace("/run/prometheus/viewer-token", str(token)))
    result = subprocess.run([promtool, "check", "config", str(config)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # promtool checks the credentials file exists: the path in the file is the one replaced.
    assert str(token) in config.read_text()


def test_compose_grafana_logs_in_with_the_password_from_env_file():
    services = compose()["services"]
    grafana = services["grafana"]
    image = interpolate(grafana["image"], env_example())
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", image), f"unpinned image {image}"
    env = env_list(grafana)
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    for port in grafana["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"Grafana published beyond loopback: {port}"
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert rendered_compose()["services"]["grafana"]["environment"][
        "GF_SECURITY_ADMIN_PASSWORD"] == env_example()["GRAFANA_ADMIN_PASSWORD"]


def test_grafana_provisioning_reaches_prometheus_and_the_dashboard():
    grafana = compose()["services"]["grafana"]
    mounted = mounts(grafana)
    assert mounted["./docker/grafana/provisioning"] == "/etc/grafana/provisioning"
    [source] = load_yaml((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())[
        "datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert "9090" in container_ports(compose()["services"]["prometheus"])
    [provider] = load_yaml((GRAFANA / "provisioning" / "dashboards" / "eventcluster.yml")
                           .read_text())["providers"]
    assert provider["type"] == "file"
    assert mounted["./docker/grafana/dashboards"] == provider["options"]["path"]
    home = env_list(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f'{provider["options"]["path"]}/{DASHBOARD.name}'
    # Every query of the dashboard goes to the provisioned data source.
    doc = json.loads(DASHBOARD.read_text())
    for p in dashboard_panels(doc["panels"]):
        for target in [p, *p["targets"]]:
            assert target["datasource"] == {"type": "prometheus", "uid": source["uid"]}, p["title"]


def test_dashboard_shows_the_original_job_with_the_exported_metrics():
    doc = json.loads(DASHBOARD.read_text())
    assert doc["uid"] and doc["title"]
    panels = dashboard_panels(doc["panels"])
    ids = [p["id"] for p in doc["panels"]]
    ids += [c["id"] for p in doc["panels"] for c in p.get("panels", [])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    used = set()
    for p in panels:
        assert p["targets"], f"panel {p['title']!r} has no query"
        for target in p["targets"]:
            assert target.get("expr", "").strip(), f"panel {p['title']!r}: a query without expr"
    for query in dashboard_queries():
        names = metric_names(query)
        assert names, f"no metric in {query!r}"
        unknown = {n for n in names if n.removeprefix(METRIC_PREFIX + "_") not in METRICS
                   or not n.startswith(METRIC_PREFIX + "_")}
        assert not unknown, f"{query!r} uses metrics the binaries do not export: {unknown}"
        used |= {n.removeprefix(METRIC_PREFIX + "_") for n in names}
    # Everything the issue asks for is on it (what is not, is so on purpose).
    assert METRICS - used == NOT_ON_DASHBOARD, sorted(METRICS - used ^ NOT_ON_DASHBOARD)
    # The original job's sink by name (examples/job.json).
    sink = json.loads((ROOT / "examples" / "job.json").read_text())["pipeline"][-1]["name"]
    assert any(f'operator_name="{sink}"' in q for q in dashboard_queries())


def test_metric_names_finds_the_metrics_of_a_query():
    assert metric_names('sum by (operator_name) (rate(a_b{job_name=~"$job_name", x="y z"}'
                        '[$__rate_interval])) / 1e9') == {"a_b"}
    assert metric_names("label_values(a_up, job_name)") == {"a_up"}
    assert metric_names("topk(5, m0) offset 5m") == {"m0"}
    assert metric_names("max by (a) (m1) + on (b) group_left m2 or vector(0)") == {"m1", "m2"}


def test_dashboard_queries_are_valid_promql(tmp_path):
    """promtool parses each query as a recording rule's expression, Grafana's variables replaced
    by what they stand for."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus; scripts/setup.sh)")
    rules = []
    for i, query in enumerate(dashboard_queries()):
        if query.startswith("label_values("):  # Grafana's, not PromQL
            continue
        expr = query.replace("$__rate_interval", "1m").replace("$job_name", ".*")
        assert "$" not in expr, f"unknown Grafana variable in {query!r}"
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "rules.yml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr



def test_the_metric_names_are_the_binaries():
    """METRICS mirrors the sources: each name, or what follows its scope, is a string there."""
    text = "".join(p.read_text() for d in SOURCES for p in d.rglob("*.cc"))
    for name in sorted(METRICS):
        scope = next(s for s in SCOPES if name.startswith(s))
        assert f'"{name}"' in text or f'"{name[len(scope):]}"' in text or \
            f'_{name[len(scope):]}"' in text, f"{name} is not in the C++ sources"
