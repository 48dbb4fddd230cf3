"""bench/run --nexmark: Nexmark q0, q1, q2 on EventCluster and on Flink SQL, same topic, same run.

ec-nexmark-gen writes --count events once into a topic of --partitions partitions. Then, per
round (warm-up rounds first, not counted), for each query and parallelism: EventCluster (a fresh
JobManager and P one-slot TaskManagers, bench/nexmark/<q>.json submitted with --stop-at latest,
exactly-once sink, checkpoints every 10 s, until FINISHED), then Flink (NexmarkSql in its own
MiniCluster JVM, nexmark-flink's SQL bounded at latest-offset, RocksDB incremental checkpoints,
exactly-once Kafka sink). Each writes to its own sink topic; the two are read back at
read_committed and compared as multisets (nexmark_compare.py), Flink as the oracle.
See bench/README.md, "Nexmark".
"""
import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import subprocess
import time
import urllib.request

from . import kafka, nexmark_compare, nexmark_report, procs, systems

SEED = 42


def parse_args(argv, repo):
    ap = argparse.ArgumentParser(prog="bench/run --nexmark", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke test: 20,000 events, 1 round")
    ap.add_argument("--count", type=int, help="events generated [2000000; quick 20000]")
    ap.add_argument("--partitions", type=int, default=2, help="partitions of every topic [2]")
    ap.add_argument("--queries", default="q0,q1,q2", help="queries (bench/nexmark/<q>.json) [q0,q1,q2]")
    ap.add_argument("--parallelisms", default="1,2", help="parallelisms to run [1,2]")
    ap.add_argument("--repeat", type=int, help="counted rounds [3; quick 1]")
    ap.add_argument("--warmup-rounds", type=int, help="rounds run first, not counted [1; quick 0]")
    ap.add_argument("--checkpoint-interval-ms", type=int, default=10000,
                    help="checkpoint interval of both systems [10000]")
    ap.add_argument("--compare", choices=("first", "all", "none"), default="first",
                    help="compare the outputs in the first counted round, in every round, or "
                         "not at all [first]")
    ap.add_argument("--systems", default="eventcluster,flink")
    ap.add_argument("--bin-dir", default=os.path.join(repo, "build/bin"))
    ap.add_argument("--flink-heap", default="1g", help="-Xmx of the Flink JVM [1g]")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run [1800]")
    ap.add_argument("--out", help="results folder [bench/results; quick bench/results/tmp]")
    ap.add_argument("--tag", default="", help="results go to <date>-<host>-TAG.*")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the run folder, topics and dumps")
    ap.add_argument("--strict", action="store_true",
                    help="exit non-zero when outputs differ, a run fails or a system is missing")
    ap.add_argument("--no-chart", action="store_true")
    a = ap.parse_args(argv)
    a.count = a.count or (20000 if a.quick else 2000000)
    a.repeat = a.repeat or (1 if a.quick else 3)
    a.warmup_rounds = a.warmup_rounds if a.warmup_rounds is not None else (0 if a.quick else 1)
    a.queries = [q.strip() for q in a.queries.split(",") if q.strip()]
    a.parallelisms = [int(p) for p in a.parallelisms.split(",") if p.strip()]
    a.systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    a.bin_dir = os.path.abspath(a.bin_dir)
    a.out = a.out or os.path.join(repo, "bench/results/tmp" if a.quick else "bench/results")
    for q in a.queries:
        if not os.path.exists(os.path.join(repo, "bench/nexmark", q + ".json")):
            raise SystemExit(f"--queries: no bench/nexmark/{q}.json")
    return a


def percentiles(values):
    if not values:
        return None, None
    return statistics.median(values), max(values)


class NexmarkBench:
    def __init__(self, a, repo, log, machine):
        self.a, self.repo, self.log = a, repo, log
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.run_dir = os.path.join(repo, "bench/results/tmp", f"nexmark-{self.stamp}")
        os.makedirs(self.run_dir, exist_ok=True)
        self.sampler = procs.Sampler()
        self.broker = None
        self.input_topic = "nexmark_input"
        self.flink = systems.FlinkPeer(repo, self.run_dir, heap=a.flink_heap)
        self.results = {
            "schema": 1, "kind": "nexmark",
            "date": dt.date.today().isoformat(),
            "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "mode": "quick" if a.quick else "full", "machine": machine,
            "command": " ".join(shlex.quote(x) for x in ["bench/run", *a._argv]),
            "config": {"count": a.count, "seed": SEED, "partitions": a.partitions,
                       "queries": a.queries, "parallelisms": a.parallelisms,
                       "repeat": a.repeat, "warmup_rounds": a.warmup_rounds,
                       "checkpoint_interval_ms": a.checkpoint_interval_ms,
                       "compare": a.compare, "flink_heap": a.flink_heap},
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
            "busy_processes_start": procs.busy_processes(),
            "versions": {}, "generator": None, "runs": {}, "summary": {}, "comparisons": {},
            "skipped": [], "errors": [], "differences": [], "notes": [],
        }

    def error(self, what):
        self.log(f"ERROR: {what}")
        self.results["errors"].append(what)

    # ------------------------------------------------------------------ set-up
    def rounds(self):
        return [f"w{i}" for i in range(self.a.warmup_rounds)] + list(range(self.a.repeat))

    def sink_topic(self, q, p, rnd, key):
        return f"nexmark_{q}_p{p}_r{rnd}_{key}"

    def setup(self):
        a = self.a
        ec_missing = systems.EventCluster(self.repo, self.run_dir, a.bin_dir).missing()
        gen = os.path.join(a.bin_dir, "ec-nexmark-gen")
        if not os.access(gen, os.X_OK):
            raise RuntimeError(f"{os.path.relpath(gen, self.repo)} missing (build it first)")
        if "eventcluster" in a.systems and ec_missing:
            self.results["skipped"].append(f"EventCluster: {ec_missing} missing")
            a.systems.remove("eventcluster")
        if "flink" in a.systems:
            self.flink.ensure_built(self.log)
            self.results["versions"]["flink"] = self.flink.version()
        self.results["versions"]["eventcluster"] = systems.EventCluster(
            self.repo, self.run_dir, a.bin_dir).version()
        self.broker = kafka.Broker(self.repo, self.run_dir, self.log)
        self.broker.start()
        self.sampler.watch(self.broker.proc)
        sinks = [self.sink_topic(q, p, r, k) for r in self.rounds() for q in a.queries
                 for p in a.parallelisms for k in a.systems]
        self.log(f"creating {len(sinks) + 1} topics ({a.partitions} partitions each)")
        self.broker.create_topics([self.input_topic] + sinks, partitions=a.partitions)
        self.log(f"ec-nexmark-gen: {a.count:,} events (seed {SEED}) into {self.input_topic}")
        t0 = time.monotonic()
        out = subprocess.run([gen, "--bootstrap-servers", self.broker.bootstrap, "--topic",
                              self.input_topic, "--count", str(a.count), "--seed", str(SEED)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             timeout=3600)
        if out.returncode != 0:
            raise RuntimeError(f"ec-nexmark-gen failed ({out.returncode}): {out.stderr.strip()}")
        line = (out.stderr.strip().splitlines() or [""])[-1]
        self.results["generator"] = {"seconds": round(time.monotonic() - t0, 2), "summary": line}
        self.log(f"  {line}")

    # ------------------------------------------------------------------ one run each
    def rest(self, ec, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{ec.rest_port}{path}", timeout=10) as r:
            return json.loads(r.read())

    def run_eventcluster(self, q, p, rnd):
        tag = f"{q}-p{p}-r{rnd}-ec"
        topic = self.sink_topic(q, p, rnd, "eventcluster")
        ec = systems.EventCluster(self.repo, self.run_dir, self.a.bin_dir,
                                  os.path.join(self.repo, "bench/nexmark", q + ".json"),
                                  taskmanagers=p, slots=1)
        self.log(f"{tag}: EventCluster {q}, parallelism {p} ({p} TaskManager(s) × 1 slot)")
        run, processes = {"sink_topic": topic}, []
        broker_cpu0 = self._broker_cpu()
        try:
            processes = [self.sampler.watch(x) for x in ec.start_cluster(tag)]
            ec.submit("--input-topic", self.input_topic, "--kafka-topic", topic,
                      "--group-id", f"ec-{tag}-{self.stamp}",
                      "--kafka-bootstrap-servers", self.broker.bootstrap,
                      "--checkpoint-interval", f"{self.a.checkpoint_interval_ms}ms",
                      "--parallelism", p, "--stop-at", "latest")
            deadline = time.monotonic() + self.a.timeout
            state = None
            while time.monotonic() < deadline:
                state = self.rest(ec, f"/jobs/{ec.job_id}")["state"]
                if state in ("FINISHED", "FAILED", "CANCELED"):
                    break
                if not all(x.alive() for x in processes):
                    raise RuntimeError("a process of the cluster exited: "
                                       + ", ".join(f"{x.name} {x.returncode}" for x in processes))
                time.sleep(0.2)
            job = self.rest(ec, f"/jobs/{ec.job_id}")
            cps = self.rest(ec, f"/jobs/{ec.job_id}/checkpoints")
            run["state"] = job["state"]
            if job["state"] != "FINISHED":
                raise RuntimeError(f"job {job['state']} after {self.a.timeout:.0f}s"
                                   + (f": {job['failure']}" if job.get("failure") else ""))
            run["job_seconds"] = (job["end-time"] - job["start-time"]) / 1000
            subtasks = [s for op in job["operators"] for s in op["subtasks"]]
            run["tasks_running_seconds"] = max(s["running_ms"] for s in subtasks) / 1000
            ops = {op["name"]: op for op in job["operators"]}
            run["records_in"] = (ops.get("kafka-source") or {}).get("records_out")
            run["records_out"] = (ops.get("kafka-sink") or {}).get("records_in")
            run["checkpoint_durations_ms"] = [c["end_to_end_duration"] for c in cps["history"]
                                              if c["status"] == "COMPLETED"]
            run["checkpoints_failed"] = cps["counts"]["failed"]
        except Exception as e:  # noqa: BLE001 - recorded, the benchmark goes on
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            for x in reversed(processes):
                x.stop()
                self.sampler.forget(x)
        return self._figures(run, processes, broker_cpu0, tag)

    def run_flink(self, q, p, rnd):
        tag = f"{q}-p{p}-r{rnd}-flink"
        topic = self.sink_topic(q, p, rnd, "flink")
        self.log(f"{tag}: Flink SQL {q}, parallelism {p}")
        stdout = os.path.join(self.run_dir, f"{tag}.out")
        argv = self.flink.nexmark_argv(tag, [
            "--bootstrap-servers", self.broker.bootstrap, "--source-topic", self.input_topic,
            "--query", q, "--parallelism", p, "--sink-topic", topic,
            "--checkpoint-interval-ms", self.a.checkpoint_interval_ms,
            "--group-id", f"flink-{tag}-{self.stamp}",
            "--checkpoint-dir", "file://" + os.path.join(self.run_dir, f"{tag}.checkpoints")])
        run = {"sink_topic": topic}
        broker_cpu0 = self._broker_cpu()
        proc = self.sampler.watch(procs.Proc("flink (MiniCluster JVM)", argv,
                                             os.path.join(self.run_dir, f"{tag}.log"),
                                             cwd=self.repo, stdout_path=stdout))
        if not proc.wait(self.a.timeout):
            proc.stop()
            run["error"] = f"timed out after {self.a.timeout:.0f}s"
        self.sampler.forget(proc)
        try:
            with open(stdout) as f:
                line = [l for l in f.read().splitlines() if l.startswith("{")][-1]
            summary = json.loads(line)
            run.update({k: summary.get(k) for k in (
                "records_in", "records_out", "seconds", "job_seconds", "state",
                "checkpoint_durations_ms", "checkpoints_failed", "checkpointed_bytes")})
            if summary.get("state") != "FINISHED":
                run.setdefault("error", f"job {summary.get('state')}")
        except (IndexError, ValueError, OSError) as e:
            run.setdefault("error", f"no summary line ({e}); exit code {proc.returncode}; "
                                    f"see {proc.log_path}")
        if proc.returncode not in (0, None) and not run.get("error"):
            run["error"] = f"exit code {proc.returncode}; see {proc.log_path}"
        return self._figures(run, [proc], broker_cpu0, tag)

    def _broker_cpu(self):
        self.broker.proc.sample()
        return self.broker.proc.cpu_s

    def _figures(self, run, processes, broker_cpu0, tag):
        n = self.a.count
        run["processes"] = [x.figures() for x in processes]
        run["total_cpu_s"] = round(sum(x.cpu_s for x in processes), 3)
        run["total_peak_rss_mb"] = round(sum(x.peak_rss_kb for x in processes) / 1024, 1)
        run["broker_cpu_s"] = round(self._broker_cpu() - broker_cpu0, 3)
        if run.get("job_seconds"):
            run["events_per_s"] = round(n / run["job_seconds"], 1)
        if run["total_cpu_s"]:
            run["events_per_cpu_s"] = round(n / run["total_cpu_s"], 1)
        p50, mx = percentiles(run.get("checkpoint_durations_ms") or [])
        run["checkpoint_p50_ms"], run["checkpoint_max_ms"] = p50, mx
        if run.get("records_in") is not None and run["records_in"] != n and not run.get("error"):
            run["error"] = f"read {run['records_in']:,} events, expected {n:,}"
        if run.get("error"):
            self.error(f"{tag}: {run['error']}")
        else:
            self.log(f"  FINISHED: {run.get('records_out')} records out, job {run['job_seconds']:.2f} s"
                     f" = {run['events_per_s']:,.0f} events/s; CPU {run['total_cpu_s']:.1f} s, "
                     f"peak RSS {run['total_peak_rss_mb']:.0f} MB, checkpoints (ms) "
                     f"{run.get('checkpoint_durations_ms')}")
        return run

    # ------------------------------------------------------------------ outputs
    def compare(self, q, p, rnd, ec_run, flink_run):
        if ec_run.get("error") or flink_run.get("error"):
            return {"error": "a run failed"}
        dumps = []
        for key, run in (("eventcluster", ec_run), ("flink", flink_run)):
            path = os.path.join(self.run_dir, f"{q}-p{p}-r{rnd}-{key}.dump")
            self.broker.dump_topic(run["sink_topic"], path, fmt="%s\n", read_committed=True)
            dumps.append(path)
        cmp = nexmark_compare.compare_files(*dumps)
        cmp["round"] = rnd
        self.log(f"  outputs of {q} at parallelism {p}: {nexmark_compare.verdict(cmp)}")
        if not cmp["equal"]:
            self.results["differences"].append(
                f"{q} parallelism {p} round {rnd + 1 if isinstance(rnd, int) else rnd}: "
                f"{nexmark_compare.verdict(cmp)}; e.g. only "
                f"EventCluster's: {(cmp['sample_only_eventcluster'] or ['—'])[0][:200]}; only "
                f"Flink's: {(cmp['sample_only_flink'] or ['—'])[0][:200]}")
            for key in ("sample_only_eventcluster", "sample_only_flink"):
                for line in cmp[key]:
                    self.log(f"    {key[7:]}: {line[:300]}")
        if not self.a.keep_tmp:
            for d in dumps:
                os.remove(d)
        return cmp

    # ------------------------------------------------------------------ driver
    def run(self):
        self.setup()
        a = self.a
        first_counted = 0
        for rnd in self.rounds():
            warm = isinstance(rnd, str)
            self.log(f"round {rnd}" + (" (warm-up, not counted)" if warm else f" of {a.repeat}"))
            for q in a.queries:
                for p in a.parallelisms:
                    key = f"{q}-p{p}"
                    slot = self.results["runs"].setdefault(key, {"warmup": {}, "counted": {}})
                    got = {}
                    if "eventcluster" in a.systems:
                        got["eventcluster"] = self.run_eventcluster(q, p, rnd)
                    if "flink" in a.systems:
                        got["flink"] = self.run_flink(q, p, rnd)
                    for k, run in got.items():
                        slot["warmup" if warm else "counted"].setdefault(k, []).append(run)
                    if len(got) == 2 and (a.compare == "all" or (
                            a.compare == "first" and rnd == first_counted)):
                        self.results["comparisons"].setdefault(key, []).append(
                            self.compare(q, p, rnd, got["eventcluster"], got["flink"]))
                    if not a.keep_tmp:
                        self._delete([r["sink_topic"] for r in got.values()])
        for key, slot in self.results["runs"].items():
            self.results["summary"][key] = {k: summarize(runs) for k, runs in slot["counted"].items()}

    def _delete(self, topics):
        try:
            self.broker.delete_topics(topics)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.log(f"  could not delete {', '.join(topics)} (kept): {e}")

    def close(self):
        procs.stop_all()
        self.sampler.close()
        if self.broker and self.broker.proc:
            self.broker.proc.sample()
            self.results["broker"] = {"peak_rss_mb": round(self.broker.proc.peak_rss_kb / 1024, 1),
                                      "cpu_s_total": round(self.broker.proc.cpu_s, 3)}
            self.broker.stop(wipe=not self.a.keep_tmp)


FIELDS = ("events_per_s", "events_per_cpu_s", "job_seconds", "total_cpu_s", "total_peak_rss_mb",
          "checkpoint_p50_ms", "checkpoint_max_ms", "broker_cpu_s", "records_out")


def summarize(runs):
    """median, min and max of every figure over the counted runs that did not fail."""
    ok = [r for r in runs if not r.get("error")]
    out = {"runs": len(runs), "ok": len(ok)}
    for field in FIELDS:
        values = sorted(r[field] for r in ok if r.get(field) is not None)
        if values:
            out[field] = {"median": statistics.median(values), "min": values[0], "max": values[-1]}
    return out


def main(argv, repo, log, machine, ensure_matplotlib=None):
    a = parse_args(argv, repo)
    a._argv = ["--nexmark", *argv]  # noqa: SLF001 - for the results' command line
    bench = NexmarkBench(a, repo, log, machine)
    log(f"run folder {bench.run_dir}")
    interrupted = False
    try:
        bench.run()
    except KeyboardInterrupt:
        interrupted = True
        bench.error("interrupted")
    except Exception as e:  # noqa: BLE001
        bench.error(f"{type(e).__name__}: {e}")
    finally:
        bench.close()
    res = bench.results
    res["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    res["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    stem = f"{'quick-' if a.quick else ''}{res['date']}-{machine['hostname']}-" \
           + (f"nexmark-{a.tag}" if a.tag and a.tag != "nexmark" else "nexmark")
    if ensure_matplotlib and not a.no_chart and not a.quick:
        ensure_matplotlib()  # a full run installs it for the chart, as bench/run does
    base, why = nexmark_report.write(res, a.out, stem, chart=not a.no_chart)
    log(f"results: {base}.json, {base}.md" + (f" (no chart: {why})" if why else f", {base}.png"))
    print(open(base + ".md").read())
    compared = [c for cs in res["comparisons"].values() for c in cs]
    # Under --strict a pair that could not be compared (a run failed) counts as a difference.
    differ = bool(res["differences"]) or (a.strict and any(c.get("error") for c in compared))
    failed = bool(res["errors"]) or (a.strict and (bool(res["skipped"]) or differ))
    if res["differences"]:
        log("OUTPUTS DIFFER: " + "; ".join(res["differences"]))
    if failed:
        log(f"FAILED: {len(res['errors'])} error(s)"
            + (", outputs differ (--strict)" if a.strict and differ else "")
            + f"; logs in {bench.run_dir}")
    elif not a.keep_tmp and not interrupted and not res["differences"]:
        shutil.rmtree(bench.run_dir, ignore_errors=True)
    return 1 if failed or interrupted else 0
