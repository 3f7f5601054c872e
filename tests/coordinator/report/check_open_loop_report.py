#!/usr/bin/python3
"""Recomputes a run's open-loop metrics, goodput and validity with numpy from its --requests-out
JSONL and compares them with its --json report (docs/ARCHITECTURE.md "Goodput and validity").

  check_open_loop_report.py REPORT.json REQUESTS.jsonl

Prints one line per mismatch and exits 1 on any; prints "OK ..." and exits 0 otherwise.
"""
import json
import math
import sys

import numpy as np


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


class Checker:
    def __init__(self):
        self.errors = []
        self.checks = 0

    def equal(self, what, got, want):
        self.checks += 1
        if got != want:
            self.errors.append(f"{what}: report {got!r}, numpy {want!r}")

    def near(self, what, got, want):
        self.checks += 1
        if not close(got, want):
            self.errors.append(f"{what}: report {got!r}, numpy {want!r}")

    def distribution(self, what, got, values, points):
        if got is None:
            self.errors.append(f"{what}: missing from the report")
            return
        self.equal(what + ".count", got["count"], len(values))
        if not values:
            return
        a = np.array(values, dtype=np.float64)
        self.near(what + ".mean", got["mean"], float(np.mean(a)))
        self.near(what + ".min", got["min"], float(np.min(a)))
        self.near(what + ".max", got["max"], float(np.max(a)))
        self.near(what + ".std", got["std"], float(np.std(a)))
        for q in points:
            key = "p%g" % q
            self.near(f"{what}.{key}", got[key], float(np.percentile(a, q)))


def asked_rate(report):
    """The constant arrival rate asked: --request-rate from the config (null there when inf), or,
    when the config has no such key, the report's own arrivals.asked_rate."""
    config = report["config"]
    if "request_rate" in config:
        rate = config["request_rate"]
        return float(rate) if isinstance(rate, (int, float)) and math.isfinite(rate) else None
    return report["metrics"]["arrivals"]["asked_rate"]


def meets_slo(r, slo):
    """vLLM's --goodput rule: every SLO given >= the metric, in seconds; TTFT and E2E from the
    scheduled time; TPOT 0 when n <= 1; failed requests never good."""
    if not r["ok"]:
        return False
    n = r["output_tokens"]
    if "ttft" in slo:
        if n < 1 or not slo["ttft"] / 1000.0 >= (r["first_token_ns"] - r["scheduled_ns"]) / 1e9:
            return False
    if "tpot" in slo:
        tpot = ((r["finish_ns"] - r["first_token_ns"]) / 1e9) / (n - 1) if n > 1 else 0.0
        if not slo["tpot"] / 1000.0 >= tpot:
            return False
    if "e2el" in slo and not slo["e2el"] / 1000.0 >= (r["finish_ns"] - r["scheduled_ns"]) / 1e9:
        return False
    return True


def main():
    report = json.load(open(sys.argv[1]))
    records = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    config, m = report["config"], report["metrics"]
    points = m["percentile_points"]
    streaming = config["stream_output"]
    ok = [r for r in records if r["ok"]]
    c = Checker()

    lag = [(r["submit_ns"] - r["scheduled_ns"] - r["queue_ns"]) / 1e9 for r in records]
    c.distribution("queue", m["queue"], [r["queue_ns"] / 1e9 for r in records], points)
    c.distribution("lag", m["lag"], lag, points)
    c.distribution("e2e_from_scheduled", m["e2e_from_scheduled"],
                   [(r["finish_ns"] - r["scheduled_ns"]) / 1e9 for r in ok], points)
    if streaming:
        c.distribution("ttft_from_scheduled", m["ttft_from_scheduled"],
                       [(r["first_token_ns"] - r["scheduled_ns"]) / 1e9
                        for r in ok if r["output_tokens"] >= 1], points)
    else:
        c.equal("ttft_from_scheduled", m["ttft_from_scheduled"], None)

    arrivals = m["arrivals"]
    c.equal("arrivals.taken_in", arrivals["taken_in"], len(records))
    submits = [r["submit_ns"] for r in records]
    achieved, lag_p99 = None, None
    if records:
        span = (max(submits) - min(submits)) / 1e9
        achieved = len(records) / span if span > 0 else None
        lag_p99 = float(np.percentile(np.array(lag), 99))
        c.near("arrivals.first_submit_s", arrivals["first_submit_s"], min(submits) / 1e9)
        c.near("arrivals.last_submit_s", arrivals["last_submit_s"], max(submits) / 1e9)
        c.near("arrivals.lag_p99_s", arrivals["lag_p99_s"], lag_p99)
    c.near("arrivals.achieved_rate", arrivals["achieved_rate"], achieved)
    asked = asked_rate(report)
    c.near("arrivals.asked_rate", arrivals["asked_rate"], asked)

    reasons = []
    if lag_p99 is not None and lag_p99 > config["max_lag_p99_ms"] / 1000.0:
        reasons.append("lag P99")
    if asked is not None and achieved is not None and \
            achieved < asked * (1.0 - config["max_rate_shortfall_pct"] / 100.0):
        reasons.append("achieved arrival rate")
    c.equal("valid", report["valid"], not reasons)
    c.equal("invalid_reasons (kinds)",
            [next((k for k in ("lag P99", "achieved arrival rate") if t.startswith(k)), t)
             for t in report["invalid_reasons"]], reasons)

    slo = config.get("goodput")
    if not slo:
        c.equal("goodput", m["goodput"], None)
    elif m["goodput"] is None:
        c.errors.append("goodput: missing from the report")
    else:
        g = m["goodput"]
        duration = max((r["finish_ns"] for r in records), default=0) / 1e9
        good = [r for r in records if meets_slo(r, slo)]
        c.equal("goodput.slo_ms", g["slo_ms"], slo)
        c.equal("goodput.good_requests", g["good_requests"], len(good))
        c.near("goodput.good_percent", g["good_percent"],
               100.0 * len(good) / len(records) if records else 0.0)
        c.near("goodput.request_goodput", g["request_goodput"],
               len(good) / duration if duration > 0 else 0.0)
        c.near("goodput.output_goodput", g["output_goodput"],
               sum(r["output_tokens"] for r in good) / duration if duration > 0 else 0.0)

    for e in c.errors:
        print("MISMATCH " + e)
    if c.errors:
        sys.exit(1)
    print("OK %d checks on %d records" % (c.checks, len(records)))


main()
