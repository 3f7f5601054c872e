#!/usr/bin/env python3
"""References for tests/coordinator/load, written from the definitions rather than from tpbench's code.

  trace FILE SCALE
      One line per row of an Azure trace, in file order: round(offset_ns * SCALE),
      ContextTokens, GeneratedTokens. offset_ns is the row's TIMESTAMP minus the first row's,
      exact to the ns: datetime for the whole seconds, the fraction digits as written.
  ramp STRATEGY START END BURSTINESS   (unit gamma draws on stdin, one per line)
      vLLM's ramp (benchmark_serving): p = i / max(n - 1, 1), linear start + (end - start) * p,
      exponential start * (end / start) ** p; gap i = draw_i * theta, theta =
      1 / (rate_i * burstiness); arrival i = cumsum of gaps, no rescale. Prints arrivals in s.
  rate RATE BURSTINESS                 (unit gamma draws on stdin)
      vLLM without a ramp: the same cumsum, rescaled so the last arrival is at n / rate.
"""
import csv
import datetime
import sys

import numpy as np


def trace_offsets(path, scale):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    def ns(stamp):
        whole, _, fraction = stamp.partition(".")
        t = datetime.datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        return int(t.timestamp()) * 10**9 + int((fraction + "000000000")[:9])
    first = ns(rows[0]["TIMESTAMP"])
    for row in rows:
        offset = ns(row["TIMESTAMP"]) - first
        print(round(offset * scale), row["ContextTokens"], row["GeneratedTokens"])


def read_draws():
    return np.array([float(line) for line in sys.stdin if line.strip()])


def ramp(strategy, start, end, burstiness):
    draws = read_draws()
    n = len(draws)
    p = np.arange(n) / max(n - 1, 1)
    if strategy == "linear":
        rate = start + (end - start) * p
    else:
        rate = start * (end / start) ** p
    theta = 1.0 / (rate * burstiness)
    for t in np.cumsum(draws * theta):
        print(repr(float(t)))


def fixed_rate(rate, burstiness):
    draws = read_draws()
    delays = np.cumsum(draws * (1.0 / (rate * burstiness)))
    delays *= (len(draws) / rate) / delays[-1]
    for t in delays:
        print(repr(float(t)))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "trace":
        trace_offsets(sys.argv[2], float(sys.argv[3]))
    elif mode == "ramp":
        ramp(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif mode == "rate":
        fixed_rate(float(sys.argv[2]), float(sys.argv[3]))
    else:
        sys.exit("unknown mode " + mode)
