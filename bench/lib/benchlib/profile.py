"""Where a process's CPU goes: perf record over one run, written as collapsed stacks, a top list
and (with inferno-flamegraph on PATH, `cargo install inferno`) a flame graph."""
import collections
import os
import shutil
import signal
import subprocess


class Recorder:
    """`perf record` of the process named `name` among `processes`, from now until stop()."""

    def __init__(self, run_dir, processes, name, log):
        self.log = log
        self.data = os.path.join(run_dir, "perf.data")
        target = next((p for p in processes if p.name.startswith(name)), None)
        self.perf = None
        if target is None or not shutil.which("perf"):
            log(f"profile: no {name} process or no perf on PATH; not recorded")
            return
        # DWARF unwinding: the binaries carry debug info but no frame pointers.
        self.perf = subprocess.Popen(
            ["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384", "-o", self.data,
             "-p", str(target.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        log(f"profile: perf record -p {target.pid} ({target.name})")

    def stop(self):
        if self.perf and self.perf.poll() is None:
            self.perf.send_signal(signal.SIGINT)
            try:
                self.perf.wait(120)
            except subprocess.TimeoutExpired:
                self.perf.kill()

    def write(self, stem):
        """Writes STEM.folded, STEM.txt and STEM.svg; returns their paths (or why not)."""
        if not self.perf:
            return {"error": "not recorded"}
        self.stop()
        os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
        script = subprocess.run(["perf", "script", "-i", self.data, "-F", "comm,tid,ip,sym"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                errors="replace")
        stacks = collapse(script.stdout)
        with open(stem + ".folded", "w") as f:
            for stack, n in sorted(stacks.items()):
                f.write(f"{stack} {n}\n")
        with open(stem + ".txt", "w") as f:
            f.write(top_list(stacks))
        out = {"folded": stem + ".folded", "top": stem + ".txt",
               "samples": sum(stacks.values())}
        flamegraph = shutil.which("inferno-flamegraph") or os.path.expanduser(
            "~/.cargo/bin/inferno-flamegraph")
        if os.access(flamegraph, os.X_OK):
            with open(stem + ".folded") as src, open(stem + ".svg", "w") as dst:
                subprocess.run([flamegraph, "--title", "ec-taskmanager, original job",
                                "--minwidth", "0.2"], stdin=src, stdout=dst, check=False)
            out["svg"] = stem + ".svg"
        os.remove(self.data)
        self.log(f"profile: {out['samples']} samples -> {stem}.folded, .txt"
                 + (", .svg" if "svg" in out else ""))
        return out


def collapse(script_text):
    """perf script output (comm, tid, then one frame a line, blank line between samples) as
    {"thread;outermost;...;innermost": samples}. Threads are named by comm."""
    stacks = collections.Counter()
    frames, thread = [], None
    for line in script_text.splitlines() + [""]:
        if not line.strip():
            if thread is not None:
                stacks[";".join([thread] + [f for f in reversed(frames)])] += 1
            frames, thread = [], None
        elif thread is None:
            thread = line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            sym = parts[1] if len(parts) > 1 else "[unknown]"
            frames.append(sym.split("+0x")[0].replace(";", ":"))
    return stacks


def top_list(stacks, n=40):
    """Self and total share of the hottest functions, and the share of each thread."""
    total = sum(stacks.values()) or 1
    own, inclusive, threads = collections.Counter(), collections.Counter(), collections.Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        threads[frames[0]] += count
        own[frames[-1]] += count
        for f in set(frames[1:]):
            inclusive[f] += count
    lines = [f"{total} samples", "", "threads:"]
    lines += [f"  {100 * c / total:5.1f}%  {t}" for t, c in threads.most_common()]
    lines += ["", "self time (top functions):"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(n)]
    lines += ["", "total time, callees included:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(n)]
    return "\n".join(lines) + "\n"
