#!/usr/bin/env python3
"""Prints the time (epoch ms) at which COUNT objects of a collection satisfy a
predicate, as seen on a watch of the API server.

The operator-scale benchmark used to poll (`kubectl get ... | jq` every
0.5 s): that added up to a poll interval plus a LIST of every channel to the
operator's time, and the LISTs themselves loaded the API server the operator
was waiting on. A watch costs the API server almost nothing and reports each
change as it happens.

The collection is listed first and the watch starts at the list's
resourceVersion, so nothing that happens after this program started is
missed. Exits 1 (printing what it saw) if the deadline passes first.

Also prints, as a second line, the lag of each object from its first
appearance to satisfying the predicate: "lag_ms p50 p90 max".

Usage: watch_until.py --path /apis/.../namespaces/NS/notificationchannels
                      --until condition:TopicReady|exists|available
                      --count N [--deadline SECONDS] [--ready-file F]
--ready-file is created once the watch is running (after the list).
"""
import argparse
import json
import subprocess
import sys
import threading
import time


def now_ms():
    return int(time.time() * 1000)


def predicate(spec):
    if spec == "exists":
        return lambda obj: True
    if spec == "available":
        return lambda obj: (obj.get("status") or {}).get("availableReplicas", 0) >= 1
    if spec.startswith("condition:"):
        want = spec.split(":", 1)[1]

        def has_condition(obj):
            for c in (obj.get("status") or {}).get("conditions") or []:
                if c.get("type") == want and c.get("status") == "True":
                    return True
            return False

        return has_condition
    sys.exit(f"watch_until: unknown --until {spec!r}")


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", required=True)
    ap.add_argument("--until", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--deadline", type=float, default=1800)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    ok = predicate(args.until)
    deadline = time.monotonic() + args.deadline

    listed = json.loads(subprocess.run(["kubectl", "get", "--raw", args.path], check=True,
                                       capture_output=True).stdout)
    first_seen = {}
    satisfied = {}
    start = now_ms()
    for obj in listed.get("items") or []:
        name = obj["metadata"]["name"]
        first_seen[name] = start
        if ok(obj):
            satisfied[name] = start
    rv = listed["metadata"]["resourceVersion"]
    sep = "&" if "?" in args.path else "?"
    watch = subprocess.Popen(
        ["kubectl", "get", "--raw", f"{args.path}{sep}watch=1&resourceVersion={rv}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # The deadline ends a watch that is waiting for its next event, too.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), watch.kill)
    watchdog.daemon = True
    watchdog.start()
    if args.ready_file:
        open(args.ready_file, "w").close()
    reached = now_ms() if len(satisfied) >= args.count else None
    try:
        while reached is None:
            line = watch.stdout.readline()
            if not line or time.monotonic() > deadline:
                why = "deadline passed" if time.monotonic() > deadline else "watch ended"
                print(f"watch_until: {why} with {len(satisfied)} of {args.count} {args.until}", file=sys.stderr)
                return 1
            t = now_ms()
            event = json.loads(line)
            if event.get("type") not in ("ADDED", "MODIFIED"):
                continue
            obj = event["object"]
            name = obj["metadata"]["name"]
            first_seen.setdefault(name, t)
            if name not in satisfied and ok(obj):
                satisfied[name] = t
                if len(satisfied) >= args.count:
                    reached = t
    finally:
        watchdog.cancel()
        watch.kill()
        watch.wait()
    lags = sorted(satisfied[n] - first_seen[n] for n in satisfied)
    print(reached)
    print(f"lag_ms {percentile(lags, 0.5)} {percentile(lags, 0.9)} {lags[-1] if lags else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
