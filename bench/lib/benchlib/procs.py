"""Processes started by the benchmark, and their peak RSS and CPU seconds.

Every process is started in its own session so it can be signalled on its own. Its figures come
from /proc/<pid>/status (VmHWM) and /proc/<pid>/stat (utime + stime), sampled while it runs and
read once more just before it is signalled; when it ends by itself, the CPU time of the rusage
that wait4 returns covers its last moments too. (Not ru_maxrss: Linux carries the parent's peak
RSS over fork and exec, so for a small child it reports the harness's own.)
"""
import os
import signal
import socket
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
STARTED = []  # every Proc, so that stop_all() can end what is left when a run fails


def read_proc_figures(pid):
    """(peak_rss_kb, cpu_seconds) of a live process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    hwm = 0
    for line in status.splitlines():
        if line.startswith(b"VmHWM:"):
            hwm = int(line.split()[1])
            break
    return hwm, cpu


def busy_processes(seconds=2.0, threshold=0.05):
    """Other processes that used more than `threshold` of a core over `seconds`: what else was
    competing for the machine when a run started. [{"pid", "name", "cpu_share"}], busiest first."""
    def snapshot():
        cpu = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                figures = read_proc_figures(int(entry))
                if figures is not None:
                    cpu[int(entry)] = figures[1]
        return cpu
    before = snapshot()
    time.sleep(seconds)
    after = snapshot()
    busy = []
    for pid, cpu in after.items():
        share = (cpu - before.get(pid, cpu)) / seconds
        if share > threshold:
            try:
                with open(f"/proc/{pid}/comm") as f:
                    name = f.read().strip()
            except OSError:
                continue
            busy.append({"pid": pid, "name": name, "cpu_share": round(share, 2)})
    return sorted(busy, key=lambda b: -b["cpu_share"])


class Proc:
    """A child process: its log file, its figures, and a clean way to stop it."""

    def __init__(self, name, argv, log_path, env=None, cwd=None, stdin=subprocess.DEVNULL,
                 stdout_path=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self._log = open(log_path, "ab")
        out = open(stdout_path, "wb") if stdout_path else self._log
        self._out = out
        self.popen = subprocess.Popen(self.argv, stdin=stdin, stdout=out, stderr=self._log,
                                      env=env, cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self.ended = None
        self.peak_rss_kb = 0
        self.cpu_s = 0.0
        self.returncode = None
        self._lock = threading.Lock()
        STARTED.append(self)

    def sample(self):
        """Reads the figures from /proc and reaps the process if it has ended."""
        with self._lock:
            if self.returncode is not None:
                return
            figures = read_proc_figures(self.pid)
            if figures:
                self.peak_rss_kb = max(self.peak_rss_kb, figures[0])
                self.cpu_s = max(self.cpu_s, figures[1])
            self._reap(os.WNOHANG)

    def _reap(self, flags):
        try:
            pid, status, ru = os.wait4(self.pid, flags)
        except ChildProcessError:
            pid = 0
        if pid == self.pid:
            self.returncode = os.waitstatus_to_exitcode(status)
            self.popen.returncode = self.returncode
            self.ended = time.monotonic()
            self.cpu_s = max(self.cpu_s, ru.ru_utime + ru.ru_stime)
            for f in {self._log, self._out}:
                f.close()

    def alive(self):
        self.sample()
        return self.returncode is None

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signals the process (after a last reading of its figures), waits, then SIGKILLs it."""
        self.sample()
        if self.returncode is not None:
            return self.returncode
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        if not self.wait(timeout):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            with self._lock:
                if self.returncode is None:
                    self._reap(0)
        return self.returncode

    def figures(self):
        return {"process": self.name, "pid": self.pid,
                "peak_rss_mb": round(self.peak_rss_kb / 1024, 1),
                "cpu_s": round(self.cpu_s, 3),
                "exit_code": self.returncode}


def stop_all():
    """Stops every process started here that still runs (newest first)."""
    for p in reversed(STARTED):
        if p.returncode is None:
            p.stop(timeout=10)


class ExternalProc:
    """A process we did not start (the broker): its figures from /proc only."""

    def __init__(self, name, pid):
        self.name = name
        self.pid = pid
        self.peak_rss_kb = 0
        self.cpu_s = 0.0

    def sample(self):
        figures = read_proc_figures(self.pid)
        if figures:
            self.peak_rss_kb = max(self.peak_rss_kb, figures[0])
            self.cpu_s = max(self.cpu_s, figures[1])

    def alive(self):
        return os.path.exists(f"/proc/{self.pid}")


class Sampler:
    """Samples a set of processes every `interval` seconds in a background thread."""

    def __init__(self, interval=0.1):
        self.interval = interval
        self._procs = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def watch(self, proc):
        with self._lock:
            self._procs.append(proc)
        proc.sample()
        return proc

    def forget(self, proc):
        with self._lock:
            if proc in self._procs:
                self._procs.remove(proc)

    def _run(self):
        while not self._stop.wait(self.interval):
            with self._lock:
                procs = list(self._procs)
            for p in procs:
                p.sample()

    def close(self):
        self._stop.set()
        self._thread.join()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True if some socket listens on TCP `port` (read from /proc/net/tcp*, no connection made:
    a connection to ec-producer would start a stream)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


def wait_listening(port, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not listening(port):
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited (code {proc.returncode}) before listening on "
                               f"port {port}; see {proc.log_path}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{proc.name} not listening on port {port} after {timeout:.0f}s")
        time.sleep(0.05)
