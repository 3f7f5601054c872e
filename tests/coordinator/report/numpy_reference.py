#!/usr/bin/python3
"""Reference metrics for tests/coordinator/report: docs/ARCHITECTURE.md "Metrics" computed with numpy.

Input blocks (whitespace separated):
  case NAME STREAMING NPOINTS P...      then   rec OK PROMPT N SUBMIT FIRST FINISH NTOK T... ERROR
  end
  pct NAME Q NVALUES V...
Output lines: NAME KEY VALUE (repr of a float or an int).
"""
import sys

import numpy as np


def summarize(out, name, label, values, points):
    out.append((name, label + ".count", len(values)))
    if not values:
        return
    a = np.array(values, dtype=np.float64)
    out.append((name, label + ".mean", float(np.mean(a))))
    out.append((name, label + ".min", float(np.min(a))))
    out.append((name, label + ".max", float(np.max(a))))
    out.append((name, label + ".std", float(np.std(a))))
    for i, q in enumerate(points):
        out.append((name, f"{label}.pct{i}", float(np.percentile(a, q))))


def case_metrics(out, name, streaming, points, recs):
    ok = [r for r in recs if r["ok"]]
    out.append((name, "completed", len(ok)))
    out.append((name, "failed", len(recs) - len(ok)))
    inp = sum(r["prompt"] for r in ok)
    outp = sum(r["n"] for r in ok)
    out.append((name, "input_tokens", inp))
    out.append((name, "output_tokens", outp))
    duration = max((r["finish"] for r in recs), default=0) / 1e9
    out.append((name, "duration", duration))
    if duration > 0:
        out.append((name, "input_throughput", inp / duration))
        out.append((name, "output_throughput", outp / duration))
        out.append((name, "request_throughput", len(ok) / duration))
        out.append((name, "rpm", len(ok) / duration * 60))
    e2e = [(r["finish"] - r["submit"]) / 1e9 for r in ok]
    tpot = [((r["finish"] - r["first"]) / 1e9) / (r["n"] - 1) for r in ok if r["n"] > 1]
    summarize(out, name, "e2e", e2e, points)
    summarize(out, name, "tpot", tpot, points)
    if streaming:
        ttft = [(r["first"] - r["submit"]) / 1e9 for r in ok if r["n"] >= 1]
        itl = []
        for r in ok:
            itl.extend((np.diff(np.array(r["t"], dtype=np.int64)) / 1e9).tolist())
        summarize(out, name, "ttft", ttft, points)
        summarize(out, name, "itl", itl, points)


def main():
    words = open(sys.argv[1]).read().split()
    pos = 0
    out = []

    def take():
        nonlocal pos
        pos += 1
        return words[pos - 1]

    while pos < len(words):
        kind = take()
        if kind == "case":
            name, streaming, npoints = take(), take() == "1", int(take())
            points = [float(take()) for _ in range(npoints)]
            recs = []
            while take() == "rec":
                r = {"ok": take() == "1", "prompt": int(take()), "n": int(take()),
                     "submit": int(take()), "first": int(take()), "finish": int(take())}
                r["t"] = [int(take()) for _ in range(int(take()))]
                take()  # error text
                recs.append(r)
            case_metrics(out, name, streaming, points, recs)
        elif kind == "pct":
            name, q, n = take(), float(take()), int(take())
            values = np.array([float(take()) for _ in range(n)])
            out.append((name, "value", float(np.percentile(values, q))))
        else:
            raise SystemExit(f"unknown block {kind}")
    with open(sys.argv[2], "w") as f:
        for name, key, value in out:
            f.write(f"{name} {key} {value!r}\n")


main()
