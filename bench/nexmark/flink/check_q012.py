#!/usr/bin/env python3
"""Checks q0, q1 and q2 outputs (JSON lines read back from their sink topics) against the input
events (gen_events.py's JSON lines), as multisets, byte for byte in each field's text form:

- TIMESTAMP(3) as Flink's JSON format writes it ('SQL' standard): "yyyy-MM-dd HH:mm:ss" and the
  fraction without its trailing zeros, none at all when it is zero ("2015-07-15 00:00:01",
  "...:01.1", "...:01.12", "...:01.123");
- q1's DECIMAL(23, 3) price as Flink writes it (json.encode.decimal-as-plain-number false, the
  default): Java's BigDecimal.stripTrailingZeros().toString(), so 1120.472, 908, 113.5, 0, and
  4.54E+3 for 4540.000.

    check_q012.py EVENTS.ndjson --q0 q0.txt --q1 q1.txt --q2 q2.txt
"""
import argparse
import json
import sys
from decimal import Decimal


def flink_timestamp(text):
    date, frac = text.split(".")
    frac = frac.rstrip("0")
    return date + ("." + frac if frac else "")


def flink_decimal(value):
    value = value.normalize()
    if value == 0:
        return "0"
    t = value.as_tuple()
    if t.exponent > 0:  # a negative BigDecimal scale: Java prints it in scientific notation
        digits = "".join(map(str, t.digits))
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return ("-" if t.sign else "") + mantissa + "E+" + str(len(digits) - 1 + t.exponent)
    return format(value, "f")


def compare(name, expected, got):
    e = sorted(json.dumps(d, sort_keys=True) for d in expected)
    g = sorted(json.dumps(d, sort_keys=True) for d in got)
    ok = e == g
    print(f"{name}: expected {len(e)}, got {len(g)}: {'MATCH' if ok else 'DIFFER'}")
    if not ok:
        print("  missing:", sorted(set(e) - set(g))[:3])
        print("  extra:  ", sorted(set(g) - set(e))[:3])
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("--q0")
    ap.add_argument("--q1")
    ap.add_argument("--q2")
    a = ap.parse_args()
    with open(a.events) as f:
        bids = [e["bid"] for e in map(json.loads, f) if e["event_type"] == 2]
    ok = True
    if a.q0:
        with open(a.q0) as f:
            got = [json.loads(line) for line in f]
        ok &= compare("q0", [{"auction": b["auction"], "bidder": b["bidder"], "price": b["price"],
                              "dateTime": flink_timestamp(b["dateTime"]), "extra": b["extra"]}
                             for b in bids], got)
    if a.q1:
        got = []
        with open(a.q1) as f:
            for line in f:
                d = json.loads(line)
                d["price"] = line.split('"price":', 1)[1].split(",", 1)[0]  # its text
                got.append(d)
        ok &= compare("q1", [{"auction": b["auction"], "bidder": b["bidder"],
                              "price": flink_decimal(Decimal("0.908") * b["price"]),
                              "dateTime": flink_timestamp(b["dateTime"]), "extra": b["extra"]}
                             for b in bids], got)
    if a.q2:
        with open(a.q2) as f:
            got = [json.loads(line) for line in f]
        ok &= compare("q2", [{"auction": b["auction"], "price": b["price"]}
                             for b in bids if b["auction"] % 123 == 0], got)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
