#!/usr/bin/env python3
"""Stand-in for ec-producer when build/bin/ec-producer is missing: same flags, same event format.

Serves every client its own NDJSON stream of synthetic Windows events. Deterministic for a
seed (the pool of event bodies), but not byte-identical to ec-producer. Used by bench/run only
as a fallback, and reported as such in the results.
"""
import argparse
import datetime as dt
import json
import random
import socket
import threading
import time

SOURCES = {
    "Security": (["Audit Success", "Audit Failure"],
                 [(4624, "An account was successfully logged on."),
                  (4625, "An account failed to log on."),
                  (4634, "An account was logged off."),
                  (4672, "Special privileges assigned to new logon."),
                  (4688, "A new process has been created.")]),
    "System": (["Information", "Warning", "Error", "Critical"],
               [(6005, "The Event log service was started."),
                (6006, "The Event log service was stopped."),
                (7036, "The service entered the running state."),
                (41, "The system has rebooted without cleanly shutting down first."),
                (1074, "The process has initiated the restart of computer.")]),
    "Application": (["Information", "Warning", "Error", "Critical"],
                    [(1000, "Faulting application name: app.exe"),
                     (1001, "Windows Error Reporting fault bucket."),
                     (11707, "Installation completed successfully."),
                     (1033, "Windows Installer installed the product."),
                     (916, "Background task completed.")]),
}
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "SYSTEM", "svc_backup"]


def body_pool(seed, size=4096):
    rnd = random.Random(seed)
    pool = []
    for _ in range(size):
        source = rnd.choice(sorted(SOURCES))
        levels, events = SOURCES[source]
        event_id, message = rnd.choice(events)
        tail = json.dumps({
            "source": source, "level": rnd.choice(levels), "event_id": event_id,
            "computer": "WS-%04d.corp.example.com" % rnd.randrange(10000),
            "user": "CORP\\" + rnd.choice(USERS), "message": message,
        }, separators=(",", ":"))
        pool.append(tail[1:])  # without the opening brace
    return pool


def iso_ms(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (ms % 1000)


def serve(conn, args, pool):
    start_ms = None
    if args.start_time:
        start_ms = int(dt.datetime.fromisoformat(args.start_time.replace("Z", "+00:00")).timestamp() * 1000)
    count = args.count if args.count > 0 else None
    seq = 0
    t0 = time.monotonic()
    cache_ms, cache_iso = -1, ""
    try:
        while count is None or seq < count:
            if args.rate > 0:
                due = int((time.monotonic() - t0) * args.rate) + 1
                if due <= seq:
                    time.sleep(max(0.0, (seq + 1) / args.rate - (time.monotonic() - t0)))
                    continue
                batch_end = due
            else:
                batch_end = seq + 1000
            if count is not None:
                batch_end = min(batch_end, count)
            lines = []
            for s in range(seq, batch_end):
                ms = start_ms + s * args.time_step_ms if start_ms is not None else int(time.time() * 1000)
                if ms != cache_ms:
                    cache_ms, cache_iso = ms, iso_ms(ms)
                lines.append('{"seq":%d,"timestamp":"%s",%s\n' % (s, cache_iso, pool[s % len(pool)]))
            conn.sendall("".join(lines).encode())
            seq = batch_end
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=9999)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--start-time", default=None)
    ap.add_argument("--time-step-ms", type=int, default=1)
    args = ap.parse_args()
    pool = body_pool(args.seed)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", args.port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, args, pool), daemon=True).start()


if __name__ == "__main__":
    main()
