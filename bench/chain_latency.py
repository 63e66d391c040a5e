#!/usr/bin/python3
"""The latency mm's chain adds to a batch: one batch at a time.

Starts COMMAND (a shell pipeline that reads batch records on standard
input and writes one record per batch on standard output), then for each
of the first N batch records of BATCHES: writes it, and waits for its
record to come out at the end.  The time from the write to the read is
the batch's latency: every stage parses, computes, stores (mm-record
commits before it passes a record on) and writes it, with no queue in
front of it.  The first WARMUP batches are not counted.

Prints, one per line:

  batches N          batches timed
  median_ms MS       median latency
  p99_ms MS          99th percentile (nearest rank)
  max_ms MS

Exit status 1 when a record does not come back, or comes back for
another batch.

Usage: /usr/bin/python3 bench/chain_latency.py [-n N] [--warmup W]
       BATCHES COMMAND
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("batches")
    ap.add_argument("command")
    args = ap.parse_args()

    lines = []
    with open(args.batches, "rb") as f:
        for line in f:
            if line.strip():
                lines.append(line)
            if len(lines) == args.n + args.warmup:
                break
    p = subprocess.Popen(["/bin/sh", "-c", args.command],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    times = []
    for i, line in enumerate(lines):
        want = json.loads(line)["batch_id"]
        t0 = time.perf_counter()
        p.stdin.write(line)
        p.stdin.flush()
        out = p.stdout.readline()
        t1 = time.perf_counter()
        if not out:
            sys.exit("chain_latency.py: no record for batch %s" % want)
        got = json.loads(out).get("batch_id")
        if got != want:
            sys.exit("chain_latency.py: record for %s, not %s" % (got, want))
        if i >= args.warmup:
            times.append((t1 - t0) * 1e3)
    p.stdin.close()
    p.stdout.read()
    if p.wait() != 0:
        sys.exit("chain_latency.py: the chain exited %d" % p.returncode)
    times.sort()
    print("batches", len(times))
    print("median_ms", statistics.median(times))
    print("p99_ms", times[max(0, math.ceil(0.99 * len(times)) - 1)])
    print("max_ms", times[-1])


if __name__ == "__main__":
    main()
