"""The results of `bench/run --nexmark`: the JSON file, a Markdown table and a PNG chart."""
import json

from . import nexmark_compare
from .report import COLORS, _fmt, _get, machine_load_lines, write_files

SYSTEMS = [("eventcluster", "EventCluster"), ("flink", "Flink")]
METRICS = [  # (field, label)
    ("events_per_s", "events/s (events ÷ job seconds)"),
    ("events_per_cpu_s", "events per CPU-second, all processes"),
    ("job_seconds", "job seconds, RUNNING → FINISHED"),
    ("total_cpu_s", "CPU seconds, all processes (start-up included)"),
    ("total_peak_rss_mb", "peak RSS, all processes (MB)"),
    ("checkpoint_p50_ms", "checkpoint duration p50 (ms)"),
    ("checkpoint_max_ms", "checkpoint duration max (ms)"),
    ("records_out", "records written"),
]


def _spread(summary, field):
    v = _get(summary, field)
    if not v:
        return "—"
    if v["min"] == v["max"]:
        return _fmt(v["median"])
    return f"{_fmt(v['median'])} [{_fmt(v['min'])}–{_fmt(v['max'])}]"


def _round(rnd):
    """Counted rounds are shown from 1 (stored from 0); warm-up rounds as w0, w1, ..."""
    return rnd + 1 if isinstance(rnd, int) else rnd


def _ratio(sums, field):
    a = _get(sums, "eventcluster", field, "median")
    b = _get(sums, "flink", field, "median")
    return f"{a / b:.2f}" if a and b else "—"


def markdown(res):
    cfg, m = res["config"], res["machine"]
    k, w = cfg["repeat"], cfg["warmup_rounds"]
    lines = [
        f"# Nexmark {', '.join(cfg['queries'])}: EventCluster and Flink SQL, {res['date']} on "
        f"{m['hostname']}",
        "",
        f"Command: `{res['command']}`",
        "",
        f"{m['cpu_model']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}; mode "
        f"`{res['mode']}`. {cfg['count']:,} Nexmark events (ec-nexmark-gen, seed {cfg['seed']}) "
        f"written once into a topic of {cfg['partitions']} partitions on one local Kafka broker; "
        f"every run reads all of it (bounded at the latest offset) and writes its results "
        f"exactly-once to a fresh topic, checkpoints every {cfg['checkpoint_interval_ms']:,} ms. "
        f"EventCluster: a fresh JobManager and P TaskManagers × 1 slot; Flink: NexmarkSql "
        f"(nexmark-flink's SQL, RocksDB incremental checkpoints) in its own MiniCluster JVM "
        f"(1 TaskManager, P slots), -Xmx{cfg['flink_heap']}. "
        + (f"{k} counted rounds after {w} warm-up round(s), interleaved (per round, each query "
           f"and parallelism: EventCluster, then Flink); figures are median [min–max] over the "
           f"counted rounds, ratios between medians." if k > 1 or w else "One round."),
        "",
        "| query | P | metric | EventCluster | Flink | EventCluster ÷ Flink |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for key, sums in res["summary"].items():
        q, p = key.rsplit("-p", 1)
        for field, label in METRICS:
            lines.append(f"| {q} | {p} | {label} | "
                         + " | ".join(_spread(sums.get(s), field) for s, _ in SYSTEMS)
                         + f" | {_ratio(sums, field)} |")
        cmps = res["comparisons"].get(key) or []
        verdict = "; ".join(f"round {_round(c.get('round'))}: {nexmark_compare.verdict(c)}"
                            for c in cmps) or "not compared"
        lines.append(f"| {q} | {p} | outputs, read_committed, as multisets | {verdict} | | |")
    lines += [
        "",
        "Job seconds: EventCluster's `end-time − start-time` of `GET /jobs/<id>` (submission → "
        "FINISHED, deployment included, so if anything longer than RUNNING → FINISHED); Flink's "
        "`job_seconds` of NexmarkSql's summary (the job's RUNNING → its end, task deployment "
        "included; planning and the JVM's start-up are not). Both include the wait for the "
        "commit of the last transaction: Flink's exactly-once sink commits on a checkpoint that "
        "completes after the end of the input, EventCluster's sink commits when its subtask "
        "finishes. CPU seconds and peak RSS are the sums over the system's processes (EventCluster: "
        "JobManager and TaskManagers; Flink: the one JVM) from start to exit, start-up included. "
        "Outputs: both sink topics read back with kcat at read_committed and compared as "
        "multisets, numbers as decimals and TIMESTAMP(3) strings as instants "
        "(`bench/lib/benchlib/nexmark_compare.py`).",
        "",
        "## Runs", "",
        "| round | query | P | system | job s | events/s | CPU s | peak RSS (MB) | "
        "checkpoints (ms) | records out | |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for key, slot in res["runs"].items():
        q, p = key.rsplit("-p", 1)
        for part in ("warmup", "counted"):
            for s, name in SYSTEMS:
                for i, run in enumerate(slot[part].get(s) or []):
                    rnd = f"w{i}" if part == "warmup" else str(i + 1)
                    lines.append(
                        f"| {rnd} | {q} | {p} | {name} | {_fmt(run.get('job_seconds'))} | "
                        f"{_fmt(run.get('events_per_s'))} | {_fmt(run.get('total_cpu_s'))} | "
                        f"{_fmt(run.get('total_peak_rss_mb'))} | "
                        f"{', '.join(map(str, run.get('checkpoint_durations_ms') or [])) or '—'} | "
                        f"{_fmt(run.get('records_out'))} | "
                        f"{'FAILED: ' + run['error'] if run.get('error') else ''} |")
    gen = res.get("generator") or {}
    lines += ["", f"Generator: {gen.get('summary', '—')}", "",
              "Versions: " + json.dumps(res.get("versions", {}), sort_keys=True), ""]
    lines += machine_load_lines(res)
    for title, key in (("Outputs that differ", "differences"), ("Skipped", "skipped"),
                       ("Errors", "errors"), ("Notes", "notes")):
        if res.get(key):
            lines += [f"{title}:", *[f"- {x}" for x in res[key]], ""]
    return "\n".join(lines)


def draw_chart(res, path):
    """Two panels, events/s and events per CPU-second per query and parallelism (medians)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed"
    keys = list(res["summary"])
    if not keys:
        return "no runs"
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    fig.suptitle(f"Nexmark, EventCluster vs Flink SQL — {res['date']} on "
                 f"{res['machine']['hostname']} ({res['config']['count']:,} events)")
    width = 0.4
    for ax, (field, label) in zip(axes, METRICS[:2]):
        for j, (s, name) in enumerate(SYSTEMS):
            xs, ys = [], []
            for i, key in enumerate(keys):
                v = _get(res["summary"][key], s, field, "median")
                if v is not None:
                    xs.append(i + (j - 0.5) * width)
                    ys.append(v)
            ax.bar(xs, ys, width, color=COLORS.get(s), label=name)
            for x, y in zip(xs, ys):
                ax.annotate(_fmt(float(y)), (x, y), ha="center", va="bottom", fontsize=7)
        values = [_get(res["summary"][k], s, field, "median") for k in keys for s, _ in SYSTEMS]
        values = [v for v in values if v]
        if values and max(values) / min(values) > 50:
            ax.set_yscale("log")  # Flink's bars would not show beside EventCluster's otherwise
        ax.set_xticks(range(len(keys)), [k.replace("-p", " P=") for k in keys])
        ax.set_title(label)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write(res, out_dir, stem, chart=True):
    return write_files(res, out_dir, stem, markdown, draw_chart, chart, json_default=str)
