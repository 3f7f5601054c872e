#!/usr/bin/env python3
"""One MPI integration case of profile_throughput --backend sim (tests/coordinator/orchestrator).

Generates a token-ids dataset, runs the job under mpiexec with a hard time limit, and checks
what the case expects: every request reported exactly once with the right token counts, JSON /
CSV totals that agree with the requests, static round-robin sharding; or, for failure cases,
the exit code, the one-line message and the partial JSON marked incomplete.
"""
import argparse
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return 0


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def run_and_signal(cmd, env, a, requests_out):
    """Runs cmd, sends it (or its children, the ranks) SIGINT/SIGTERM as `kill -INT <pid>` would once --requests-out (streamed
    during the run) holds enough records, and waits a bounded time for it to end."""
    sig = getattr(signal, "SIG" + a.signal)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + a.limit_s
    while count_lines(requests_out) < a.signal_after_records:
        if p.poll() is not None:
            fail("the job ended before it was signalled (exit code %d): %s" %
                 (p.returncode, p.stderr.read()[-2000:]))
        if time.monotonic() > deadline:
            p.kill()
            fail("--requests-out never held %d records" % a.signal_after_records)
        time.sleep(0.02)
    sent = time.monotonic()
    if a.signal_to == "ranks":
        for pid in children_of(p.pid):
            os.kill(pid, sig)
    else:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("the job did not end within 10 s of SIG%s (hang)" % a.signal)
    print("SIG%s sent; the job ended %.2f s later" % (a.signal, time.monotonic() - sent))
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def check_open_loop_metrics(report, paths):
    """numpy recomputes queue, lag, times from the scheduled time, goodput and validity from
    --requests-out and compares them with --json (tests/coordinator/report/check_open_loop_report.py); a
    closed loop must show scheduled == submit and no queue."""
    checker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report",
                           "check_open_loop_report.py")
    p = subprocess.run([sys.executable, checker, paths["json"], paths["jsonl"]],
                       capture_output=True, text=True)
    print(p.stdout.strip())
    if p.returncode != 0:
        fail("the report's open-loop metrics differ from numpy's:\n" + p.stdout + p.stderr)
    m = report["metrics"]
    if not m["open_loop"]:
        if m["lag"]["max"] != 0 or m["queue"]["max"] != 0:
            fail("closed loop with lag max %r, queue max %r" % (m["lag"]["max"], m["queue"]["max"]))
        if m["e2e_from_scheduled"] != m["e2e"]:
            fail("closed loop: E2E from scheduled differs from E2E from submit")
        if report["valid"] is not True:
            fail("closed loop judged INVALID: %s" % report["invalid_reasons"])


def max_overlap(records):
    """The most requests in flight at once, from their [submit, finish] spans."""
    events = sorted([(r["submit_ns"], 1) for r in records] + [(r["finish_ns"], -1) for r in records],
                    key=lambda e: (e[0], e[1]))  # an end before a start at the same time
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    return most


def check_arrival_times(records, schedule, max_lag_ms, max_concurrency=0):
    """Closed loop: every request is due when a slot takes it. Open loop: it keeps its scheduled
    time and is taken in at or after it plus its queue time, a little late at most; without
    --max-concurrency nothing queues, with it no more than N run at once."""
    if schedule and max_concurrency and max_overlap(records) > max_concurrency:
        fail("%d requests in flight at once, --max-concurrency %d" %
             (max_overlap(records), max_concurrency))
    lags = []
    for r in records:
        if not schedule:
            if r["scheduled_ns"] != r["submit_ns"] or r["queue_ns"] != 0:
                fail("closed-loop request %d: scheduled_ns %d, queue_ns %d, submit_ns %d" %
                     (r["id"], r["scheduled_ns"], r["queue_ns"], r["submit_ns"]))
            continue
        if r["scheduled_ns"] != schedule[r["id"]]:
            fail("request %d: scheduled_ns %d, the schedule says %d" %
                 (r["id"], r["scheduled_ns"], schedule[r["id"]]))
        if r["queue_ns"] < 0 or (r["queue_ns"] != 0 and not max_concurrency):
            fail("request %d queued %d ns (--max-concurrency %d)" %
                 (r["id"], r["queue_ns"], max_concurrency))
        lag = r["submit_ns"] - r["scheduled_ns"] - r["queue_ns"]
        if lag < 0 or lag > max_lag_ms * 1e6:
            fail("request %d: lag %d ns outside [0, %g ms]" % (r["id"], lag, max_lag_ms))
        if r["first_token_ns"] < r["submit_ns"]:
            fail("request %d: first token before it was taken in" % r["id"])
        lags.append(lag)
    if lags:
        lags.sort()
        print("open loop: lag P50 %.1f us, P99 %.1f us, max %.1f us over %d requests" %
              (lags[len(lags) // 2] / 1e3, lags[min(len(lags) - 1, int(len(lags) * 0.99))] / 1e3,
               lags[-1] / 1e3, len(lags)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--mpiexec", required=True, help="mpiexec and its options, ';'-separated")
    ap.add_argument("--np", type=int, required=True)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--replicas", type=int, default=0, help="check static round-robin over this many")
    ap.add_argument("--env", action="append", default=[], help="K=V exported to every rank")
    ap.add_argument("--expect", choices=["complete", "incomplete", "start-failure", "bad-input"],
                    default="complete")
    ap.add_argument("--stderr-regex", default="")
    ap.add_argument("--limit-s", type=float, default=60, help="the job must end within this")
    ap.add_argument("--exit-code", type=int, help="the exact exit code expected")
    ap.add_argument("--reason-regex", default="", help="the JSON's incomplete_reason must match")
    ap.add_argument("--no-abort-banner", action="store_true",
                    help="stderr must not show MPI_ABORT (a planned end, not an abort)")
    ap.add_argument("--min-completed", type=int, default=0)
    ap.add_argument("--one-error-line", action="store_true",
                    help="stderr must hold exactly one 'profile_throughput: error:' line")
    ap.add_argument("--min-startup-s", type=float, default=0,
                    help="the JSON's startup_s (start-up before t0) must be at least this")
    ap.add_argument("--tiny-model-config", action="store_true",
                    help="MODEL holds a config.json (2 layers, 2 KV heads of 8: 128 bytes of KV "
                         "per token at 2-byte elements), for --kv-cache-bytes")
    ap.add_argument("--expect-preemption", action="store_true")
    ap.add_argument("--step-profile", action="store_true",
                    help="pass --step-profile-out; check one file per replica, a row per step")
    ap.add_argument("--signal", choices=["INT", "TERM"],
                    help="send this signal to the mpiexec process once the run is mid-way")
    ap.add_argument("--signal-to", choices=["mpiexec", "ranks"], default="mpiexec",
                    help="ranks: every rank process, as srun forwards a signal to its tasks")
    ap.add_argument("--signal-after-records", type=int, default=20,
                    help="mid-way: --requests-out holds at least this many lines")
    ap.add_argument("--stderr-forbid", default="", help="stderr must not match this")
    ap.add_argument("--schedule-rate", type=float, default=0,
                    help="open loop: Poisson arrivals at this many requests/s, given to rank 0 "
                         "through the TPBENCH_TEST_SCHEDULE_FILE hook; check each record keeps "
                         "its scheduled time and is taken in on time")
    ap.add_argument("--max-lag-ms", type=float, default=500,
                    help="open loop: sanity bound on submit - scheduled - queue (a loaded "
                         "machine; not a performance claim)")
    ap.add_argument("--expect-invalid", default="",
                    help="open loop: the report must be INVALID with a reason matching this")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    extra = a.args[1:] if a.args[:1] == ["--"] else a.args

    tmp = tempfile.mkdtemp(prefix="tpbench-orch-")
    rng = random.Random(7)
    dataset = os.path.join(tmp, "ds.jsonl")
    expected = []
    with open(dataset, "w") as f:
        for _ in range(a.requests):
            prompt = [rng.randint(3, 31999) for _ in range(rng.randint(4, 48))]
            out = rng.randint(1, 24)
            expected.append((len(prompt), out))
            f.write(json.dumps({"input_ids": prompt, "output_len": out}) + "\n")
    paths = {k: os.path.join(tmp, "out." + k) for k in ("json", "csv", "jsonl")}
    if a.tiny_model_config:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump({"model_type": "llama", "hidden_size": 32, "intermediate_size": 64,
                       "num_hidden_layers": 2, "num_attention_heads": 4,
                       "num_key_value_heads": 2, "vocab_size": 32000,
                       "max_position_embeddings": 4096}, f)

    schedule = []
    if a.schedule_rate:
        t = 0.0
        arrivals = random.Random(11)
        for _ in range(a.requests):
            t += arrivals.expovariate(a.schedule_rate)
            schedule.append(int(t * 1e9))
        with open(os.path.join(tmp, "schedule.txt"), "w") as f:
            f.write("".join("%d\n" % ns for ns in schedule))
        a.env.append("TPBENCH_TEST_SCHEDULE_FILE=" + os.path.join(tmp, "schedule.txt"))

    cmd = [x for x in a.mpiexec.split(";") if x] + ["-np", str(a.np)]
    env = dict(os.environ)
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
        cmd += ["-x", k]
    cmd += [a.exe, dataset, tmp, "--dataset-name", "token-ids", "--backend", "sim",
            "-n", str(a.requests), "--json", paths["json"], "--csv", paths["csv"],
            "--requests-out", paths["jsonl"]] + extra
    profile = os.path.join(tmp, "profile.csv")
    if a.step_profile:
        cmd += ["--step-profile-out", profile]
    print(" ".join(cmd))
    started = time.monotonic()
    if a.signal:
        p = run_and_signal(cmd, env, a, paths["jsonl"])
    else:
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=a.limit_s)
        except subprocess.TimeoutExpired:
            fail("the job did not end within %g s (hang)" % a.limit_s)
    print("exit code %d after %.1f s" % (p.returncode, time.monotonic() - started))
    print("--- stderr ---\n" + p.stderr[-4000:])
    if a.stderr_regex and not re.search(a.stderr_regex, p.stderr):
        fail("stderr does not match %r" % a.stderr_regex)
    if a.exit_code is not None and p.returncode != a.exit_code:
        fail("expected exit code %d, got %d" % (a.exit_code, p.returncode))
    if a.no_abort_banner and "MPI_ABORT" in p.stderr:
        fail("stderr shows the MPI_ABORT banner")
    if a.stderr_forbid and re.search(a.stderr_forbid, p.stderr):
        fail("stderr matches %r" % a.stderr_forbid)
    if a.one_error_line and p.stderr.count("profile_throughput: error:") != 1:
        fail("expected exactly one error line, got %d" % p.stderr.count("profile_throughput: error:"))

    if a.expect == "bad-input":
        if p.returncode != 2:
            fail("expected exit code 2, got %d" % p.returncode)
        n = p.stderr.count("profile_throughput: error:")
        if n != 1:
            fail("expected exactly one error line, got %d" % n)
        return
    if a.expect == "start-failure":
        if p.returncode == 0:
            fail("expected a non-zero exit code")
        if p.stderr.count("profile_throughput: error:") != 1:
            fail("expected exactly one error line")
        return

    records = [json.loads(line) for line in open(paths["jsonl"])] if os.path.exists(paths["jsonl"]) else []
    ids = [r["id"] for r in records]
    if len(ids) != len(set(ids)):
        fail("a request was reported twice")
    report = json.load(open(paths["json"]))
    if report["environment"]["gpus"] != []:  # the sim backend computes on no GPU
        fail("JSON environment.gpus is %r, expected []" % report["environment"]["gpus"])
    if not isinstance(report.get("startup_s"), (int, float)) or report["startup_s"] < a.min_startup_s:
        fail("JSON startup_s is %r, expected a number >= %g" % (report.get("startup_s"), a.min_startup_s))
    if report["metrics"]["completed"] < a.min_completed:
        fail("JSON counts %d completed requests, expected at least %d" %
             (report["metrics"]["completed"], a.min_completed))
    if report["metrics"]["completed"] != sum(1 for r in records if r["ok"]):
        fail("JSON completed %d, requests-out has %d ok" %
             (report["metrics"]["completed"], sum(1 for r in records if r["ok"])))
    if a.reason_regex and not re.search(a.reason_regex, report.get("incomplete_reason") or ""):
        fail("incomplete_reason %r does not match %r" % (report.get("incomplete_reason"), a.reason_regex))
    for r in records:
        plen, out = expected[r["id"]]
        if r["ok"] and (r["prompt_tokens"] != plen or r["output_tokens"] != out):
            fail("request %d: %d/%d tokens, dataset says %d/%d" %
                 (r["id"], r["prompt_tokens"], r["output_tokens"], plen, out))

    if a.expect == "incomplete":
        if p.returncode == 0:
            fail("expected a non-zero exit code")
        if report["complete"] is not False or not report["incomplete_reason"]:
            fail("partial JSON not marked incomplete")
        rows = list(csv.DictReader(open(paths["csv"])))
        if len(rows) != 1 or rows[0]["complete"] != "false" or \
                int(rows[0]["completed"]) != report["metrics"]["completed"]:
            fail("CSV row not marked incomplete or not matching the JSON: %s" % rows)
        print("partial results: %d of %d requests" % (len(ids), a.requests))
        return

    if p.returncode != 0:
        fail("expected exit code 0")
    if sorted(ids) != list(range(a.requests)):
        fail("requests-out does not hold every request exactly once (%d lines)" % len(ids))
    if not all(r["ok"] for r in records):
        fail("a request failed")
    m = report["metrics"]
    total_out = sum(o for _, o in expected)
    total_in = sum(i for i, _ in expected)
    if report["complete"] is not True:
        fail("JSON says incomplete")
    if m["completed"] != a.requests or m["total_output_tokens"] != total_out or m["total_input_tokens"] != total_in:
        fail("JSON totals %s/%s/%s, expected %d/%d/%d" % (m["completed"], m["total_output_tokens"],
             m["total_input_tokens"], a.requests, total_out, total_in))
    if sum(r["requests"] for r in report["replicas"]) != a.requests:
        fail("per-replica requests do not add up")
    rows = list(csv.DictReader(open(paths["csv"])))
    if len(rows) == 1 and abs(float(rows[0]["startup_s"]) - report["startup_s"]) > 0.0006:
        fail("CSV startup_s %s, JSON %s" % (rows[0]["startup_s"], report["startup_s"]))
    if len(rows) != 1 or int(rows[0]["completed"]) != a.requests or int(rows[0]["total_output_tokens"]) != total_out:
        fail("CSV row does not match: %s" % rows)
    if a.replicas:
        for r in records:
            if r["replica"] != r["id"] % a.replicas:
                fail("request %d ran on replica %d, static round-robin says %d" %
                     (r["id"], r["replica"], r["id"] % a.replicas))
    max_concurrency = int(extra[extra.index("--max-concurrency") + 1]) \
        if "--max-concurrency" in extra else 0
    if "--request-rate" in extra:
        # The run drew its own schedule (its statistics are coordinator/load's tests): check that
        # each request was taken in at or after its own scheduled time and within the slots.
        schedule = {r["id"]: r["scheduled_ns"] for r in records}
        if not report["metrics"]["open_loop"]:
            fail("--request-rate run reported as a closed loop")
    check_arrival_times(records, schedule, a.max_lag_ms, max_concurrency)
    if a.expect_invalid:
        if report["valid"] is not False:
            fail("expected an INVALID run, the report says valid")
        if not any(re.search(a.expect_invalid, x) for x in report["invalid_reasons"]):
            fail("no invalid reason matches %r: %s" % (a.expect_invalid, report["invalid_reasons"]))
    elif schedule and report["valid"] is not True:
        fail("open-loop run judged INVALID: %s" % report["invalid_reasons"])
    if a.step_profile:
        replicas = report["replicas"]
        for r in replicas:
            path = profile + (".replica%d" % r["replica"] if len(replicas) > 1 else "")
            if not os.path.exists(path):
                fail("no step profile %s for replica %d" % (path, r["replica"]))
            rows = list(csv.DictReader(open(path)))
            if len(rows) != r["steps"]:
                fail("%s: %d rows for %d steps" % (path, len(rows), r["steps"]))
            fed = sum(int(x["tokens"]) for x in rows)
            if fed != r["prefill_tokens"] + r["decode_tokens"]:
                fail("%s: %d tokens fed, the replica counted %d" %
                     (path, fed, r["prefill_tokens"] + r["decode_tokens"]))
    check_open_loop_metrics(report, paths)
    preemptions = sum(r["preemptions"] for r in report["replicas"])
    if a.expect_preemption and preemptions == 0:
        fail("expected the bounded KV cache to preempt; no replica did")
    print("OK: %d requests, each exactly once; %d preemptions" % (a.requests, preemptions))


if __name__ == "__main__":
    main()
