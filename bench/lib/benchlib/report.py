"""Writes a run's results: the JSON file, a Markdown table and a PNG chart."""
import json
import os

SYSTEMS = [("eventcluster", "EventCluster"), ("flink", "Flink")]
COLORS = {"eventcluster": "#2a9d8f", "eventcluster_baseline": "#8ab17d", "flink": "#e76f51",
          "kcat": "#8d99ae", "producer": "#adb5bd"}


def _systems(results):
    """The columns: the systems of the run in order (results["systems"]), else the usual two."""
    listed = [tuple(s) for s in results.get("systems") or []]
    if not listed:
        return SYSTEMS
    # keep a column for a system that was asked for but skipped (its cells say so)
    keys = {k for k, _ in listed}
    return listed + [s for s in SYSTEMS if s[0] not in keys and any(
        s[0] in results.get(part, {}) for part in ("throughput", "chain"))]


def _fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        if v >= 1000:
            return f"{v:,.0f}{unit}"
        if v >= 10:
            return f"{v:.1f}{unit}"
        return f"{v:.2f}{unit}"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return f"{v}{unit}"


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _cell(run, *path, unit=""):
    if run is None:
        return "—"
    if run.get("skipped"):
        return "skipped"
    v = _get(run, *path)
    text = _fmt(v, unit)
    if run.get("error"):
        text += " (FAILED)" if v is not None else "FAILED"
    return text


def machine_load_lines(results):
    """The load average and the busy processes a run recorded, as Markdown lines."""
    lines = []
    if results.get("load_average_start"):
        lines += ["Load average (1, 5, 15 min) at the start: "
                  + ", ".join(map(str, results["load_average_start"]))
                  + ("; at the end: " + ", ".join(map(str, results["load_average_end"]))
                     if results.get("load_average_end") else ""), ""]
    busy = results.get("busy_processes_start")
    if busy is not None:
        lines += ["Other processes busy at the start (share of a core over 2 s): "
                  + (", ".join(f"{b['name']} (pid {b['pid']}) {b['cpu_share']}" for b in busy)
                     if busy else "none above 0.05"), ""]
    return lines


def _ceilings(results):
    """The ceiling columns: kcat -P as it comes, and with the sink's codec (when run)."""
    codec = results["config"].get("kcat_codec")
    tp = results.get("throughput", {})
    return [("kcat", "kcat ceiling")] + (
        [("kcat_codec", f"kcat -z {codec} ceiling")] if "kcat_codec" in tp else [])


def _spread(run, field="events_per_s"):
    """'median [min–max]' over the rounds of a repeated run; the plain figure for one run."""
    if run is None:
        return "—"
    rounds = _get(run, "rounds", field)
    if not rounds or run["rounds"]["ok"] < 2:
        return _cell(run, field)
    text = f"{_fmt(rounds['median'])} [{_fmt(rounds['min'])}–{_fmt(rounds['max'])}]"
    return text + (" (FAILED)" if run.get("error") else "")


def _ratio(a, b):
    a = _get(a, "rounds", "events_per_s", "median") or _get(a, "events_per_s")
    b = _get(b, "rounds", "events_per_s", "median") or _get(b, "events_per_s")
    return f"{a / b:.2f}" if a and b else "—"


def markdown(results):
    cfg = results["config"]
    rows = []
    SYSTEMS = _systems(results)  # noqa: N806 - the module's default, or this run's
    CEILINGS = _ceilings(results)  # noqa: N806
    none = ["—"] * len(CEILINGS)

    def row(metric, cells):
        rows.append(f"| {metric} | " + " | ".join(cells) + " |")

    tp = results.get("throughput", {})
    n = cfg["count"]
    k = cfg.get("repeat", 1)
    row(f"Throughput, {n:,} events, `--rate 0` (events/s"
        + (f", median [min–max] of {k} interleaved runs" if k > 1 else "")
        + (f" after {cfg['warmup_rounds']} warm-up round(s) left out)" if cfg.get("warmup_rounds")
           else ")"),
        [_spread(tp.get(key)) for key, _ in SYSTEMS + CEILINGS])
    if k > 1:
        row("max / min of the throughput runs",
            [_fmt(round(_get(tp.get(key), "rounds", "events_per_s", "max") /
                        _get(tp.get(key), "rounds", "events_per_s", "min"), 2))
             if _get(tp.get(key), "rounds", "events_per_s", "min") else "—"
             for key, _ in SYSTEMS + CEILINGS])
    for ceiling, name in CEILINGS:
        row(f"Throughput / {name} (medians)",
            [_ratio(tp.get(key), tp.get(ceiling)) for key, _ in SYSTEMS] + none)
    if any(key == "flink" for key, _ in SYSTEMS):
        row("Throughput / Flink (medians)",
            [_ratio(tp.get(key), tp.get("flink")) for key, _ in SYSTEMS] + none)
    lagged = False
    for rate, runs in results.get("latency", {}).items():
        r = int(rate)
        for q in ("p50", "p99"):
            cells = []
            for k, _ in SYSTEMS:
                run = runs.get(k)
                cell = _cell(run, "latency_ms", q)
                achieved = _get(run, "events_per_s")
                if achieved and achieved < 0.95 * r and not run.get("error"):
                    cell += f" † ({_fmt(achieved)}/s)"
                    lagged = True
                cells.append(cell)
            row(f"Latency {q} at {r:,} events/s, creation → append (ms)", cells + none)
    row("Peak RSS, throughput run, all processes (MB)",
        [_spread(tp.get(key), "total_peak_rss_mb") for key, _ in SYSTEMS + CEILINGS])
    row("CPU seconds, throughput run, all processes",
        [_spread(tp.get(key), "total_cpu_s") for key, _ in SYSTEMS + CEILINGS])
    row("Broker CPU seconds during the throughput run",
        [_spread(tp.get(key), "broker_cpu_s") for key, _ in SYSTEMS + CEILINGS])
    ch = results.get("chain", {})
    row("parse → map → discard, no broker, one thread (events/s)",
        [_cell(ch.get(k), "events_per_s") for k, _ in SYSTEMS] + none)
    row("parse → map → discard, events per CPU-second",
        [_cell(ch.get(k), "events_per_cpu_s") for k, _ in SYSTEMS] + none)

    eo_lines = _exactly_once(results, SYSTEMS)

    m = results["machine"]
    prod = results.get("producer") or {}
    lines = [
        f"# Benchmark {results['date']} on {m['hostname']}",
        "",
        f"{m['cpu_model']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}; "
        f"mode `{results['mode']}`, seed {cfg['seed']}. Every system ran alone against one local "
        f"Kafka broker (one partition, LogAppendTime).",
        "",
        "| metric | " + " | ".join(name for _, name in SYSTEMS + CEILINGS) + " |",
        "| --- |" + " ---: |" * (len(SYSTEMS) + len(CEILINGS)),
        *rows,
        "",
    ]
    lines += eo_lines
    if lagged:
        lines += ["† the system did not keep up with the rate: it appended at the rate in "
                  "brackets (first to last append), and the producer, held back by TCP, created "
                  "events later than scheduled, so the latency shown understates the delay.", ""]
    if prod.get("events_per_s"):
        lines += [f"The producer alone ({prod.get('binary')}) into a client that only counts "
                  f"bytes: {_fmt(prod['events_per_s'])} events/s, {_fmt(prod['mb_per_s'])} MB/s.", ""]
    lines += ["## Processes", "", "| run | system | process | peak RSS (MB) | CPU s |",
              "| --- | --- | --- | ---: | ---: |"]
    for run_name, run_sys, run in _runs(results):
        for p in run.get("processes", []):
            lines.append(f"| {run_name} | {run_sys} | {p['process']} | {_fmt(p['peak_rss_mb'])} | "
                         f"{_fmt(p['cpu_s'])} |")
    lines.append("")
    v = results.get("versions", {})
    lines.append("Versions: " + json.dumps(v, sort_keys=True))
    lines.append("")
    if results.get("command"):
        lines += [f"Command: `{results['command']}`", ""]
    lines += machine_load_lines(results)
    if results.get("skipped"):
        lines += ["Skipped:", *[f"- {s}" for s in results["skipped"]], ""]
    if results.get("errors"):
        lines += ["Errors:", *[f"- {e}" for e in results["errors"]], ""]
    if results.get("notes"):
        lines += ["Notes:", *[f"- {s}" for s in results["notes"]], ""]
    return "\n".join(lines)


def _eo_spread(run, field):
    """'median [min–max]' of one exactly-once figure over the rounds."""
    if run is None:
        return "—"
    if run.get("skipped"):
        return "skipped"
    r = _get(run, "rounds", field)
    if not r or _get(run, "rounds", "ok") < 2:
        path = ("latency_ms", field[len("latency_"):]) if field.startswith("latency_") else (field,)
        return _cell(run, *path)
    text = f"{_fmt(r['median'])} [{_fmt(r['min'])}–{_fmt(r['max'])}]"
    return text + (" (FAILED)" if run.get("error") else "")


def _exactly_once(results, systems):
    """The exactly-once table: per checkpoint interval, committed throughput and the latency
    a read_committed reader sees (creation → visibility)."""
    eo = results.get("exactly_once") or {}
    if not eo:
        return []
    cfg = results["config"]
    k = cfg.get("repeat", 1)
    rate = cfg.get("eo_rate")
    spread = f", median [min–max] of {k} interleaved runs" if k > 1 else ""
    lines = ["## Exactly-once", "",
             f"Each system with its exactly-once sink (`--delivery-guarantee exactly-once`, "
             f"Kafka transactions committed when a checkpoint completes), read back by "
             f"`ec-bench-committed-reader` (librdkafka, isolation.level=read_committed) following "
             f"the topic, so an event counts when a read_committed consumer can see it.", "",
             "| metric | " + " | ".join(name for _, name in systems) + " | EventCluster / Flink |",
             "| --- |" + " ---: |" * (len(systems) + 1)]

    def med(run, field):
        return _get(run, "rounds", field, "median") or (
            _get(run, "latency_ms", field[len("latency_"):]) if field.startswith("latency_")
            else _get(run, field))

    def ratio(runs, field, invert=False):
        a, b = med(runs.get("eventcluster"), field), med(runs.get("flink"), field)
        if not a or not b:
            return "—"
        return f"{(b / a if invert else a / b):.2f}"

    for ms in sorted(eo, key=int):
        slot = eo[ms]
        tp, lat = slot.get("throughput", {}), slot.get("latency", {})
        lines.append(f"| Committed throughput, checkpoint every {int(ms):,} ms, "
                     f"{cfg.get('eo_count', 0):,} events (events/s{spread}) | "
                     + " | ".join(_eo_spread(tp.get(key), "committed_events_per_s")
                                  for key, _ in systems)
                     + f" | {ratio(tp, 'committed_events_per_s')} |")
        lines.append(f"| Append throughput of the same runs (events/s) | "
                     + " | ".join(_eo_spread(tp.get(key), "events_per_s") for key, _ in systems)
                     + f" | {ratio(tp, 'events_per_s')} |")
        for q in ("p50", "p99"):
            lines.append(f"| Latency {q} at {rate:,} events/s, checkpoint every {int(ms):,} ms, "
                         f"creation → read_committed visibility (ms) | "
                         + " | ".join(_eo_spread(lat.get(key), "latency_" + q)
                                      for key, _ in systems)
                         + f" | {ratio(lat, 'latency_' + q)} |")
    lines += ["", "Committed throughput = records / (last record visible − first append). "
              "The latency ratio is EventCluster's over Flink's (below 1: EventCluster is "
              "faster).", ""]
    return lines


def _runs(results):
    labels = dict(_systems(results), kcat="kcat -P",
                  kcat_codec=f"kcat -P -z {results['config'].get('kcat_codec')}")
    for k, run in results.get("chain", {}).items():
        yield "chain", labels.get(k, k), run
    rounds = results.get("throughput_rounds")
    if rounds:
        for k, runs in rounds.items():
            for i, run in enumerate(runs):
                yield f"throughput {i + 1}", labels.get(k, k), run
    else:
        for k, run in results.get("throughput", {}).items():
            yield "throughput", labels.get(k, k), run
    for rate, runs in results.get("latency", {}).items():
        for k, run in runs.items():
            yield f"latency {int(rate):,}/s", labels.get(k, k), run


def draw_chart(results, path):
    """A PNG with four panels; returns None, or why no chart was drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib not installed"
    colors = COLORS
    SYSTEMS = _systems(results)  # noqa: N806
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    fig.suptitle(f"EventCluster vs Flink — {results['date']} on {results['machine']['hostname']} "
                 f"({results['mode']})")

    def bars(ax, items, title, ylabel):
        items = [(label.replace(" (", "\n("), value, color) for label, value, color in items
                 if value is not None]
        if not items:
            ax.set_title(title)
            ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return
        ax.bar([i[0] for i in items], [i[1] for i in items], color=[i[2] for i in items])
        for x, (_, value, _) in enumerate(items):
            ax.annotate(_fmt(float(value)), (x, value), ha="center", va="bottom", fontsize=8)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.ticklabel_format(axis="y", style="plain")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))

    tp = results.get("throughput", {})
    prod = results.get("producer") or {}
    bars(axes[0][0], [
        *[(name, _get(tp, k, "events_per_s"), colors.get(k, "#6c757d")) for k, name in SYSTEMS],
        ("kcat -P", _get(tp, "kcat", "events_per_s"), colors["kcat"]),
        ("producer alone", prod.get("events_per_s"), colors["producer"]),
    ], f"Throughput ({results['config']['count']:,} events)", "events/s")

    ax = axes[0][1]
    lat = results.get("latency", {})
    labels, width, seen = [], 0.8 / (2 * len(SYSTEMS)), []
    for i, (rate, runs) in enumerate(lat.items()):
        for j, (k, name) in enumerate(SYSTEMS):
            for q, (quant, alpha) in enumerate((("p50", 1.0), ("p99", 0.55))):
                v = _get(runs, k, "latency_ms", quant)
                if v is None:
                    continue
                x = i + (j * 2 + q - (2 * len(SYSTEMS) - 1) / 2) * width
                seen.append(v)
                ax.bar(x, v, width, color=colors.get(k, "#6c757d"), alpha=alpha,
                       label=f"{name} {quant}" if i == 0 else None)
                ax.annotate(str(v), (x, v), ha="center", va="bottom", fontsize=7)
        labels.append(f"{int(rate):,}/s")
    ax.set_xticks(range(len(labels)), labels)
    if seen and min(seen) > 0 and max(seen) / min(seen) > 50:
        ax.set_yscale("log")
    ax.set_title("Latency, event creation → Kafka append")
    ax.set_ylabel("ms")
    if lat:
        ax.legend(fontsize=8)

    ch = results.get("chain", {})
    bars(axes[1][0], [(name, _get(ch, k, "events_per_s"), colors.get(k, "#6c757d"))
                      for k, name in SYSTEMS],
         "parse → map → discard, one thread", "events/s")

    ax = axes[1][1]
    ax2 = ax.twinx()
    x = 0
    for k, name in SYSTEMS + [("kcat", "kcat -P")]:
        run = tp.get(k) or {}
        rss, cpu = run.get("total_peak_rss_mb"), run.get("total_cpu_s")
        if rss is None:
            continue
        ax.bar(x - 0.2, rss, 0.4, color=colors.get(k, "#6c757d"))
        ax.annotate(_fmt(float(rss)), (x - 0.2, rss), ha="center", va="bottom", fontsize=8)
        ax2.bar(x + 0.2, cpu, 0.4, color=colors.get(k, "#6c757d"), alpha=0.5, hatch="//")
        ax2.annotate(_fmt(float(cpu)), (x + 0.2, cpu), ha="center", va="bottom", fontsize=8)
        ax.annotate(name.replace(" (", "\n("), (x, 0), xytext=(0, -14), textcoords="offset points",
                    ha="center", va="top")
        x += 1
    ax.set_xticks([])
    ax.set_title("Throughput run: peak RSS (solid, MB) and CPU s (hatched)")
    ax.set_ylabel("MB")
    ax2.set_ylabel("CPU s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write_files(results, out_dir, stem, render, draw, chart=True, json_default=None):
    """<stem>.json, <stem>.md (render(results)) and, with `chart`, <stem>.png (draw); returns
    the path stem and why the chart is missing (None when drawn)."""
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, stem)
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=2, default=json_default)
        f.write("\n")
    with open(base + ".md", "w") as f:
        f.write(render(results))
    why = draw(results, base + ".png") if chart else "--no-chart"
    return base, why


def write(results, out_dir, stem, chart=True):
    return write_files(results, out_dir, stem, markdown, draw_chart, chart)
