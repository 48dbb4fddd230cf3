#!/usr/bin/env python3
"""Small Nexmark-shaped event stream as JSON lines, the format of ddl_kafka.sql (nexmark-flink's
Kafka table, format 'json'), for checking the Flink peer's Nexmark SQL by hand.

Of each 50 events: 1 person, 3 auctions, 46 bids (nexmark's proportions); the event time starts
at 2015-07-15 00:00:00.000 and advances --ms-per-event per event. Ids start at 1000 (as
nexmark's); a bid's auction is one of the auctions so far, an auction's seller one of the persons
so far. Deterministic for a --seed.

    gen_events.py --events 5000 | kcat -P -b 127.0.0.1:9092 -t nexmark
"""
import argparse
import datetime
import json
import random
import sys

STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"]
CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond",
          "Seattle", "Kent", "Cheyenne"]
CHANNELS = ["Google", "Facebook", "Baidu", "Apple"]
BASE = datetime.datetime(2015, 7, 15)


def ts(ms):
    t = BASE + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--ms-per-event", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    persons = auctions = 0
    out = sys.stdout
    for i in range(a.events):
        t = i * a.ms_per_event
        k = i % 50
        if k == 0:
            pid = 1000 + persons
            persons += 1
            ev = {"event_type": 0, "person": {
                "id": pid, "name": f"Person {pid}", "emailAddress": f"p{pid}@example.com",
                "creditCard": f"{rng.randrange(10**15, 10**16)}", "city": rng.choice(CITIES),
                "state": rng.choice(STATES), "dateTime": ts(t), "extra": ""},
                "auction": None, "bid": None}
        elif k <= 3:
            aid = 1000 + auctions
            auctions += 1
            ev = {"event_type": 1, "person": None, "auction": {
                "id": aid, "itemName": f"item {aid}", "description": f"description {aid}",
                "initialBid": rng.randrange(1, 1000), "reserve": rng.randrange(1000, 2000),
                "dateTime": ts(t), "expires": ts(t + 10000),
                "seller": 1000 + rng.randrange(max(0, persons - 3), persons),
                "category": rng.choice([10, 10, 11, 12, 13]), "extra": ""}, "bid": None}
        else:
            ev = {"event_type": 2, "person": None, "auction": None, "bid": {
                "auction": 1000 + rng.randrange(auctions), "bidder": 1000 + rng.randrange(persons),
                "price": rng.choice([1000, 1234, rng.randrange(1, 100000)]),
                "channel": rng.choice(CHANNELS),
                "url": f"https://www.nexmark.com/item/{rng.randrange(1000)}", "dateTime": ts(t),
                "extra": ""}}
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
