"""The one local broker of a benchmark run (scripts/kafka/start.sh), its topics, and kcat."""
import os
import subprocess
import time

from . import procs

TOOLS_LOG4J = """status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
"""


class Broker:
    def __init__(self, repo, run_dir, log):
        self.repo = repo
        self.dir = os.path.join(run_dir, "kafka")
        self.log = log
        self.plaintext_port = procs.free_port()
        self.sasl_port = procs.free_port()
        self.controller_port = procs.free_port()
        self.bootstrap = f"127.0.0.1:{self.plaintext_port}"
        self.proc = None
        self._tools_log4j = os.path.join(run_dir, "tools-log4j2.properties")
        with open(self._tools_log4j, "w") as f:
            f.write(TOOLS_LOG4J)

    @property
    def lib(self):
        return os.environ.get("EC_KAFKA_LIB", os.path.join(self.repo, "scripts/kafka/lib"))

    def start(self):
        scripts = os.path.join(self.repo, "scripts/kafka")
        if not os.path.isdir(self.lib) or \
                not any(n.startswith("kafka_2.13-") for n in os.listdir(self.lib)):
            self.log("fetching the Kafka jars (scripts/kafka/fetch.sh)")
            subprocess.run([os.path.join(scripts, "fetch.sh")], check=True)
        self.log(f"starting the broker on {self.bootstrap} (dir {self.dir})")
        out = subprocess.run(
            [os.path.join(scripts, "start.sh"), "--dir", self.dir,
             "--plaintext-port", str(self.plaintext_port), "--sasl-port", str(self.sasl_port),
             "--controller-port", str(self.controller_port), "--no-setup"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if out.returncode != 0:
            raise RuntimeError("broker did not start:\n" + out.stdout)
        with open(os.path.join(self.dir, "kafka.pid")) as f:
            self.proc = procs.ExternalProc("kafka broker", int(f.read().strip()))

    def stop(self, wipe):
        args = [os.path.join(self.repo, "scripts/kafka/stop.sh"), "--dir", self.dir]
        if wipe:
            args.append("--wipe")
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def create_topics(self, names, partitions=1):
        """Creates (or re-creates) topics with `partitions` partitions and LogAppendTime, in one
        JVM."""
        self._topics_tool((["--partitions", str(partitions)] if partitions != 1 else []) + names)

    def delete_topics(self, names):
        """Deletes topics (their log files go with them), in one JVM."""
        self._topics_tool(["--delete", *names])

    def _topics_tool(self, args):
        src = os.path.join(self.repo, "bench/lib/CreateTopics.java")
        out = subprocess.run(
            ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
             f"-Dlog4j2.configurationFile={self._tools_log4j}", "-cp",
             os.path.join(self.lib, "*"), src, self.bootstrap, *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("topics tool %s failed:\n%s" % (args, out.stdout))

    def end_offset(self, topic):
        """The topic's end offset (records appended so far), or 0 if unknown yet."""
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-Q", "-t", f"{topic}:0:-1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             timeout=30)
        for line in out.stdout.splitlines():
            if " offset " in line:
                return int(line.rsplit(" ", 1)[1])
        return 0

    def dump_topic(self, topic, path, fmt="%T %s\n", read_committed=False):
        """Writes every record of `topic` as 'APPEND_TS_MS VALUE' lines (or `fmt`) to `path`;
        with `read_committed`, only what committed transactions hold."""
        args = ["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                "-f", fmt] + (["-X", "isolation.level=read_committed"] if read_committed else [])
        with open(path, "wb") as f:
            subprocess.run(args, stdout=f, stderr=subprocess.DEVNULL, check=True, timeout=600)

    def wait_for_records(self, topic, n, watched, first_timeout, stall_timeout, log,
                         counter=None):
        """Polls the topic's end offset (or `counter()`, e.g. a CommittedReader's count) until
        it holds `n` records. Gives up when no record arrives within `first_timeout` seconds,
        when the count stops growing for `stall_timeout` seconds, or when every watched process
        has ended and the count has not grown since. Returns the last count seen."""
        start = time.monotonic()
        last_count, last_change = 0, start
        next_report = start + 10
        while True:
            count = counter() if counter else self.end_offset(topic)
            now = time.monotonic()
            if count != last_count:
                last_count, last_change = count, now
            if count >= n:
                return count
            if now >= next_report:
                log(f"  {topic}: {count}/{n} records")
                next_report = now + 10
            if count == 0 and now - start > first_timeout:
                log(f"  {topic}: no record after {first_timeout:.0f}s")
                return count
            if count > 0 and now - last_change > stall_timeout:
                log(f"  {topic}: stuck at {count}/{n} for {stall_timeout:.0f}s")
                return count
            if watched and not any(p.alive() for p in watched) and now - last_change > 3:
                log(f"  {topic}: the system exited with {count}/{n} records")
                return count
            time.sleep(0.25)


class CommittedReader:
    """A read_committed consumer of one topic, running from before the system starts: records
    become visible to it only when their transaction commits, and it notes when they did.

    `ec-bench-committed-reader` (bench/committed_reader.cc: librdkafka, isolation.level=
    read_committed, fetch.wait.max.ms=100, so an empty fetch adds at most 100 ms) writes the
    records as 'APPEND_TS_MS VALUE' lines to `path` and prints a mark 'RECORDS_SO_FAR EPOCH_MS'
    after each batch it received; a record's visibility time is the time of the first mark
    that counts it. (kcat line-buffered on a pipe, the first version, makes a write per record
    and capped what the run could see at ~0.2M records/s on the 2-core machine.)"""

    def __init__(self, reader, bootstrap, topic, path, log_path):
        import threading

        self.path = path
        self.marks = []  # (records read so far, epoch ms when they were read)
        self.lines = 0
        self._log = open(log_path, "wb")
        self._proc = subprocess.Popen(
            [reader, "--bootstrap", bootstrap, "--topic", topic, "--output", path],
            stdout=subprocess.PIPE, stderr=self._log)
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self):
        for line in self._proc.stdout:
            count, ms = line.split()
            self.lines = int(count)
            self.marks.append((self.lines, int(ms)))

    def count(self):
        return self.lines

    def close(self):
        """Stops kcat and returns the path of what it read."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._thread.join(10)
        self._log.close()
        with open(self.path + ".marks", "w") as f:  # kept with --keep-tmp, for a closer look
            f.writelines(f"{n} {ms}\n" for n, ms in self.marks)
        return self.path
