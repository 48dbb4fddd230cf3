"""Reads what a system appended to a topic: checks every record, measures throughput and
latency from the broker's append timestamps (the topics use LogAppendTime)."""
import calendar
import json
import re
from array import array

OUTPUT_FIELDS = ["seq", "timestamp", "source", "level", "severity", "event_id", "computer",
                 "user", "message", "processed_at"]
COPIED_FIELDS = ["seq", "timestamp", "source", "level", "event_id", "user", "message"]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class TimestampParser:
    """ISO 8601 UTC with milliseconds ('2026-01-01T00:00:00.000Z') to epoch ms, fast."""

    def __init__(self):
        self._seconds = {}

    def __call__(self, text):
        head = text[:19]
        base = self._seconds.get(head)
        if base is None:
            base = calendar.timegm((int(head[0:4]), int(head[5:7]), int(head[8:10]),
                                    int(head[11:13]), int(head[14:16]), int(head[17:19]))) * 1000
            self._seconds[head] = base
        return base + int(text[20:23])


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def latency_summary(values):
    values = sorted(values)
    if not values:
        return None
    return {"events": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "p999": percentile(values, 99.9),
            "max": values[-1], "mean": round(sum(values) / len(values), 2)}


def check_mapped(value, source_line):
    """Problems (a list of strings) of one output record against the map's contract and, when
    known, the input event it came from."""
    try:
        out = json.loads(value)
    except ValueError as e:
        return [f"not JSON: {e}"]
    problems = []
    if list(out) != OUTPUT_FIELDS:
        problems.append(f"fields {list(out)}, expected {OUTPUT_FIELDS}")
        return problems
    if not isinstance(out["seq"], int) or not isinstance(out["event_id"], int):
        problems.append("seq or event_id not a number")
    if out["severity"] != str(out["level"]).lower().replace(" ", "_"):
        problems.append(f"severity {out['severity']!r} for level {out['level']!r}")
    if out["computer"] != str(out["computer"]).lower():
        problems.append(f"computer {out['computer']!r} not lower-cased")
    if not isinstance(out["processed_at"], str) or not ISO_MS.match(out["processed_at"]):
        problems.append(f"processed_at {out['processed_at']!r} not ISO 8601 UTC with ms")
    if source_line is not None:
        src = json.loads(source_line)
        for f in COPIED_FIELDS:
            if out[f] != src[f]:
                problems.append(f"{f} {out[f]!r} != input {src[f]!r}")
        if out["computer"] != src["computer"].lower():
            problems.append(f"computer {out['computer']!r} != lower({src['computer']!r})")
    return problems


def sample_input(input_path, n, step):
    """Input lines whose seq is a multiple of `step` (line i of the file is event seq i)."""
    lines = {}
    if not input_path:
        return lines
    with open(input_path, "rb") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            if i % step == 0:
                lines[i] = line
    return lines


def analyze_dump(path, n, *, latency=False, warmup_s=0.0, input_path=None, max_checked=20000,
                 check_map=True, visible_marks=None):
    """Reads a topic dump ('APPEND_TS_MS VALUE' lines) of a run that fed `n` events.

    With `visible_marks` (a CommittedReader's (lines so far, epoch ms) list) the dump is what a
    read_committed reader saw while the system ran: a record's latency is then the time it
    became visible − its creation, and `committed_events_per_s` is records / (last visible −
    first append): the throughput a downstream read_committed consumer gets."""
    step = max(1, n // max_checked)
    inputs = sample_input(input_path, n, step) if check_map else {}
    seen = bytearray(n)
    records = duplicates = out_of_range = unparsable = checked = 0
    first_append = last_append = None
    problems = []
    parse_ts = TimestampParser()
    created = array("q")
    latencies = array("q")
    marks = iter(visible_marks or ())
    mark_lines, mark_ms = next(marks, (None, None))
    line_no = 0
    last_visible = None
    with open(path, "rb") as f:
        for line in f:
            line_no += 1
            if visible_marks is not None:
                while mark_lines is not None and mark_lines < line_no:
                    mark_lines, ms = next(marks, (None, None))
                    mark_ms = mark_ms if ms is None else ms  # a torn last line: the last mark
                last_visible = mark_ms
            line = line.rstrip(b"\n")
            if not line:
                continue
            records += 1
            ts_text, _, value = line.partition(b" ")
            append_ms = int(ts_text)
            if first_append is None or append_ms < first_append:
                first_append = append_ms
            if last_append is None or append_ms > last_append:
                last_append = append_ms
            seq = None
            if value.startswith(b'{"seq":'):
                end = value.find(b",", 7)
                try:
                    seq = int(value[7:end])
                except ValueError:
                    seq = None
            if seq is None:
                unparsable += 1
                if len(problems) < 5:
                    problems.append(f"record {records}: no leading seq: {value[:120]!r}")
                continue
            if 0 <= seq < n:
                if seen[seq]:
                    duplicates += 1
                seen[seq] = 1
            else:
                out_of_range += 1
            if check_map and seq % step == 0:
                checked += 1
                p = check_mapped(value, inputs.get(seq))
                if p and len(problems) < 5:
                    problems.append(f"seq {seq}: " + "; ".join(p))
            if latency:
                i = value.find(b'"timestamp":"')
                if i >= 0:
                    created_ms = parse_ts(value[i + 13:i + 37].decode())
                    created.append(created_ms)
                    seen_ms = append_ms if visible_marks is None else mark_ms
                    latencies.append(seen_ms - created_ms)
    distinct = sum(seen)
    span_ms = (last_append - first_append) if records else None
    result = {
        "records": records, "expected": n, "distinct": distinct, "missing": n - distinct,
        "duplicates": duplicates, "out_of_range": out_of_range, "unparsable": unparsable,
        "checked": checked, "problems": problems,
        "first_append_ms": first_append, "last_append_ms": last_append,
        "append_span_s": None if span_ms is None else span_ms / 1000.0,
        "events_per_s": (round(records / max(span_ms, 1) * 1000.0, 1) if records else None),
    }
    if visible_marks is not None and records and last_visible is not None:
        result["last_visible_ms"] = last_visible
        result["committed_events_per_s"] = round(
            records / max(last_visible - first_append, 1) * 1000.0, 1)
        result["latency_measured_at"] = "read_committed visibility"
    if latency and latencies:
        result["latency_ms"] = latency_summary(latencies)
        start = min(created) + int(warmup_s * 1000)
        steady = [l for c, l in zip(created, latencies) if c >= start]
        result["latency_ms_after_warmup"] = latency_summary(steady)
        result["warmup_s"] = warmup_s
        span_created = (max(created) - min(created)) / 1000.0
        result["created_span_s"] = span_created
    ok = (records == n and distinct == n and not problems and not unparsable)
    result["ok"] = ok
    if not ok:
        why = []
        if records != n:
            why.append(f"{records} records, expected {n}")
        if distinct != n:
            why.append(f"{n - distinct} events missing")
        if duplicates:
            why.append(f"{duplicates} duplicates")
        if out_of_range:
            why.append(f"{out_of_range} seqs out of range")
        if problems:
            why.append("map output wrong: " + problems[0])
        result["error"] = "; ".join(why) or "unparsable records"
    return result
