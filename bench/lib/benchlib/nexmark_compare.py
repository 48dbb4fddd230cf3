"""Nexmark outputs compared record by record: EventCluster's sink topic against Flink's (the
oracle), as multisets, after normalising what Flink's JSON format writes differently but means
the same (bench/nexmark/flink/README.md, "Output formats"):

- numbers are compared as decimals: Flink writes DECIMAL as BigDecimal.stripTrailingZeros()
  (`908`, `4.54E+3`), EventCluster keeps the scale (`908.000`, `4540.000`);
- TIMESTAMP(3) strings are compared as instants: Flink drops the fraction's trailing zeros and a
  zero fraction altogether (`2015-07-15 00:00:00`, `... 00:00:01.1`), EventCluster copies the
  input (`2015-07-15 00:00:00.000`, `... 00:00:01.100`).

Objects are compared by their keys, whatever their order.
"""
import json
import re
from collections import Counter
from decimal import Decimal

TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d+))?$")


def normalise(value):
    """A hashable form of one JSON value in which equal meanings are equal."""
    if isinstance(value, dict):
        return ("{", tuple(sorted((k, normalise(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("[", tuple(normalise(v) for v in value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal)):
        d = Decimal(value)
        return ("n", d.normalize() if d else Decimal(0))
    if isinstance(value, str):
        m = TIMESTAMP.match(value) if value[:1].isdigit() else None
        if m:
            fraction = (m.group(2) or "").rstrip("0")
            return ("t", m.group(1).replace("T", " ") + ("." + fraction if fraction else ""))
        return ("s", value)
    return ("?", repr(value))


def read_multiset(path):
    """(Counter of normalised records, {normalised: first raw line}, records, unparsable lines)."""
    counts, raw, bad, n = Counter(), {}, [], 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            n += 1
            try:
                key = normalise(json.loads(line, parse_float=Decimal))
            except ValueError:
                bad.append(line.decode(errors="replace"))
                key = ("unparsable", line)
            counts[key] += 1
            raw.setdefault(key, line.decode(errors="replace"))
    return counts, raw, n, bad


def compare_files(ec_path, flink_path, samples=3):
    """Compares two dumps (one JSON value per line). Returns a dict: `equal`, the record counts,
    `only_eventcluster`/`only_flink` (records in one multiset and not the other, counted with
    multiplicity) and up to `samples` raw lines of each."""
    ec, ec_raw, ec_n, ec_bad = read_multiset(ec_path)
    fl, fl_raw, fl_n, fl_bad = read_multiset(flink_path)
    only_ec = ec - fl
    only_fl = fl - ec
    out = {"equal": not only_ec and not only_fl, "records_eventcluster": ec_n,
           "records_flink": fl_n, "only_eventcluster": sum(only_ec.values()),
           "only_flink": sum(only_fl.values())}
    if ec_bad or fl_bad:
        out["unparsable"] = {"eventcluster": len(ec_bad), "flink": len(fl_bad)}
    if not out["equal"]:
        out["sample_only_eventcluster"] = [ec_raw[k] for k in list(only_ec)[:samples]]
        out["sample_only_flink"] = [fl_raw[k] for k in list(only_fl)[:samples]]
    return out


def verdict(cmp):
    """One line for the log and the report."""
    if cmp is None:
        return "not compared"
    if cmp.get("error"):
        return "not compared: " + cmp["error"]
    if cmp["equal"]:
        return f"equal ({cmp['records_flink']:,} records)"
    return (f"DIFFERENT: {cmp['only_eventcluster']:,} of EventCluster's "
            f"{cmp['records_eventcluster']:,} records not in Flink's, {cmp['only_flink']:,} of "
            f"Flink's {cmp['records_flink']:,} not in EventCluster's")


if __name__ == "__main__":  # python3 -m benchlib.nexmark_compare EC_DUMP FLINK_DUMP
    import sys
    result = compare_files(sys.argv[1], sys.argv[2])
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["equal"] else 1)
