"""The event producer and the two systems under test, started the same way for every run."""
import json
import os
import subprocess
import sys
import time

from . import procs

# The --add-opens Flink's own scripts pass on Java 17 (env.java.opts.all).
JAVA_OPENS = [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
    "java.lang", "java.lang.reflect", "java.net", "java.io", "java.nio", "sun.nio.ch", "java.text",
    "java.time", "java.util", "java.util.concurrent", "java.util.concurrent.atomic",
    "java.util.concurrent.locks")]


class Producer:
    """ec-producer (or the Python stand-in when it is not built) on a free port."""

    def __init__(self, repo, run_dir, binary):
        self.repo = repo
        self.run_dir = run_dir
        self.binary = binary
        self.is_fallback = not os.access(self.binary, os.X_OK)

    @property
    def description(self):
        name = os.path.relpath(self.binary, self.repo)
        return f"bench/lib/pyproducer.py (stand-in: {name} missing)" if self.is_fallback else name

    def start(self, name, *, rate, count, seed, start_time=None, time_step_ms=1):
        port = procs.free_port()
        flags = ["--port", port, "--rate", rate, "--count", count, "--seed", seed]
        if start_time:
            flags += ["--start-time", start_time, "--time-step-ms", time_step_ms]
        argv = ([sys.executable, os.path.join(self.repo, "bench/lib/pyproducer.py")]
                if self.is_fallback else [self.binary]) + flags
        proc = procs.Proc(name, argv, os.path.join(self.run_dir, f"{name}.log"))
        procs.wait_listening(port, proc)
        return proc, port


class FlinkPeer:
    """bench/peers/flink: DataConsumerFlink in a local MiniCluster (one JVM)."""

    name = "Flink"
    key = "flink"

    def __init__(self, repo, run_dir, heap="1g", extra_args=()):
        self.repo = repo
        self.run_dir = run_dir
        self.dir = os.path.join(repo, "bench/peers/flink")
        self.jar = os.path.join(self.dir, "target/flink-peer.jar")
        self.heap = heap
        self.extra_args = list(extra_args)

    def missing(self):
        return None  # built on demand by ensure_built()

    def ensure_built(self, log):
        if os.path.exists(self.jar) and os.path.isdir(os.path.join(self.dir, "target/lib")):
            return
        log("building the Flink peer (mvn -q -B package in bench/peers/flink; the first build "
            "downloads Flink from Maven Central)")
        subprocess.run(["mvn", "-q", "-B", "package"], cwd=self.dir, check=True)

    def version(self):
        lib = os.path.join(self.dir, "target/lib")
        names = os.listdir(lib) if os.path.isdir(lib) else []
        def find(prefix):
            for n in names:
                if n.startswith(prefix) and n[len(prefix):len(prefix) + 1].isdigit():
                    return n[len(prefix):-4]
            return None
        return {"flink": find("flink-runtime-"), "flink-connector-kafka": find("flink-connector-kafka-"),
                "kafka-clients": find("kafka-clients-")}

    def _java(self, tag):
        return ["java", f"-Xmx{self.heap}", *JAVA_OPENS,
                "-Dlog4j2.configurationFile=" + os.path.join(self.dir, "src/main/resources/log4j2.properties"),
                "-Dflink.peer.log=" + os.path.join(self.run_dir, f"{tag}.flink.log"),
                "-jar", self.jar]

    @staticmethod
    def exactly_once_args(tag, interval_ms):
        """KafkaSink exactly-once, a checkpoint every `interval_ms`, its own transactional ids."""
        return ["--delivery-guarantee", "exactly-once", "--checkpoint-interval-ms", interval_ms,
                "--transactional-id-prefix", f"flink-{tag}"]

    def start(self, tag, *, producer_port, bootstrap, topic, extra=()):
        argv = self._java(tag) + [
            "--hostname", "127.0.0.1", "--port", producer_port,
            "--kafka-bootstrap-servers", bootstrap, "--kafka-topic", topic,
            "--kafka-security-protocol", "PLAINTEXT", *self.extra_args, *extra]
        return [procs.Proc("flink (MiniCluster JVM)", argv, os.path.join(self.run_dir, f"{tag}.log"))]

    def stop(self, processes, log):
        for p in processes:
            p.stop()

    def chain_argv(self, tag, input_path, repeat):
        return self._java(tag) + ["--mode", "chain", "--input", input_path, "--repeat", repeat]

    def nexmark_argv(self, tag, args):
        """NexmarkSql (the jar's second main class) with `args`; its SQL from bench/nexmark/flink."""
        java = self._java(tag)
        return java[:-2] + ["-cp", self.jar, "io.eventcluster.bench.flink.NexmarkSql",
                            "--sql-dir", os.path.join(self.repo, "bench/nexmark/flink"), *args]


class EventCluster:
    """build/bin/ec-jobmanager + ec-taskmanager, the job submitted with ecctl."""

    name = "EventCluster"
    key = "eventcluster"
    BINARIES = ["ec-jobmanager", "ec-taskmanager", "ecctl"]

    def __init__(self, repo, run_dir, bin_dir, job_file=None, extra_params=(), taskmanagers=1,
                 slots=2, key=None, name=None):
        self.repo = repo
        if key:
            self.key = key  # a second EventCluster of the same run (e.g. another job file)
        if name:
            self.name = name
        self.taskmanagers = taskmanagers
        self.slots = slots
        self.extra_params = list(extra_params)
        self.run_dir = run_dir
        self.bin = bin_dir
        self.job_file = job_file or os.path.join(repo, "examples/job.json")
        self.job_id = None
        self.rpc_port = None
        self.rest_port = None

    def missing(self):
        gone = [os.path.relpath(os.path.join(self.bin, b), self.repo) for b in self.BINARIES
                if not os.access(os.path.join(self.bin, b), os.X_OK)]
        if not os.path.exists(self.job_file):
            gone.append(os.path.relpath(self.job_file, self.repo))
        return ", ".join(gone) or None

    def chain_missing(self):
        b = os.path.join(self.bin, "ec-bench-chain")
        return None if os.access(b, os.X_OK) else os.path.relpath(b, self.repo)

    def version(self):
        try:
            out = subprocess.run(["git", "-C", self.repo, "rev-parse", "--short", "HEAD"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            return {"git": out.stdout.strip() or None, "bin_dir": os.path.relpath(self.bin, self.repo)}
        except OSError:
            return {"git": None, "bin_dir": os.path.relpath(self.bin, self.repo)}

    def ecctl(self, *args, timeout=60):
        return subprocess.run([os.path.join(self.bin, "ecctl"), "--jobmanager",
                               f"127.0.0.1:{self.rpc_port}", *map(str, args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)

    @staticmethod
    def exactly_once_args(tag, interval_ms):
        """The sink's two-phase commit, a checkpoint every `interval_ms`."""
        return ["--delivery-guarantee", "exactly-once", "--checkpoint-interval", f"{interval_ms}ms"]

    def start(self, tag, *, producer_port, bootstrap, topic, extra=()):
        processes = self.start_cluster(tag)
        try:
            self.submit("--hostname", "127.0.0.1", "--port", producer_port,
                        "--kafka-bootstrap-servers", bootstrap, "--kafka-topic", topic,
                        "--kafka-security-protocol", "PLAINTEXT", *self.extra_params, *extra)
        except BaseException:
            for p in reversed(processes):
                p.stop()
            raise
        return processes

    def submit(self, *params):
        """ecctl submit of the job file with `params` (--KEY VALUE ...); sets self.job_id."""
        out = self.ecctl("submit", self.job_file, *map(str, params))
        if out.returncode != 0 or not out.stdout.strip():
            raise RuntimeError(f"ecctl submit failed ({out.returncode}): {out.stderr.strip()}")
        self.job_id = out.stdout.strip().splitlines()[-1].strip()
        return self.job_id

    def start_cluster(self, tag):
        """A JobManager (RPC on self.rpc_port, REST on self.rest_port) and self.taskmanagers
        TaskManagers with self.slots slots each, registered; returns their Procs."""
        self.rpc_port = procs.free_port()
        self.rest_port = rest_port = procs.free_port()
        data = os.path.join(self.run_dir, f"{tag}.ec-data")
        os.makedirs(data, exist_ok=True)
        jm = procs.Proc("ec-jobmanager", [
            os.path.join(self.bin, "ec-jobmanager"), "--rpc-port", self.rpc_port,
            "--rest-port", rest_port, "--data-dir", os.path.join(data, "jm")],
            os.path.join(self.run_dir, f"{tag}.jobmanager.log"))
        processes = [jm]
        try:
            procs.wait_listening(self.rpc_port, jm)
            tms = []
            for i in range(self.taskmanagers):
                suffix = "" if self.taskmanagers == 1 else f"-{i + 1}"
                tm = procs.Proc(f"ec-taskmanager{suffix}", [
                    os.path.join(self.bin, "ec-taskmanager"), "--jobmanager",
                    f"127.0.0.1:{self.rpc_port}", "--slots", str(self.slots),
                    "--data-dir", os.path.join(data, f"tm{suffix}")],
                    os.path.join(self.run_dir, f"{tag}.taskmanager{suffix}.log"))
                processes.append(tm)
                tms.append(tm)
            self._wait_taskmanagers(tms)
        except BaseException:
            for p in reversed(processes):
                p.stop()
            raise
        return processes

    def _wait_taskmanagers(self, tms, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for tm in tms:
                if not tm.alive():
                    raise RuntimeError(f"{tm.name} exited (code {tm.returncode}); see {tm.log_path}")
            out = self.ecctl("taskmanagers", "--output", "json", timeout=10)
            if out.returncode == 0:
                try:
                    if len(json.loads(out.stdout)) >= len(tms):
                        return
                except ValueError:
                    pass
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{len(tms)} TaskManager(s) not registered after {timeout:.0f}s")
            time.sleep(0.2)

    def stop(self, processes, log):
        """Reads the job's status (operator metrics), cancels it, then stops TM and JM."""
        status = None
        for p in processes:
            p.sample()
        if self.job_id and all(p.alive() for p in processes):
            out = self.ecctl("status", self.job_id, "--output", "json", timeout=15)
            if out.returncode == 0:
                try:
                    status = json.loads(out.stdout)
                except ValueError:
                    pass
            out = self.ecctl("cancel", self.job_id, timeout=30)
            if out.returncode != 0:
                log(f"  ecctl cancel {self.job_id}: {out.stderr.strip()}")
        for p in reversed(processes):  # TaskManager first
            p.stop()
        self.job_id = None
        return status

    def chain_argv(self, tag, input_path, repeat):
        return [os.path.join(self.bin, "ec-bench-chain"), "--input", input_path, "--repeat", repeat]
