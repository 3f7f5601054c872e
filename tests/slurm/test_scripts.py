#!/usr/bin/env python3
"""Unit tests of scripts/compare, scripts/scaling_study (gather, plot) and the sbatch template,
on result JSONs made here in profile_throughput's --json layout (coordinator/report)."""

import copy
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(REPO, "scripts", "compare")
STUDY = os.path.join(REPO, "scripts", "scaling_study")
SBATCH = os.path.join(REPO, "scripts", "slurm", "profile_throughput.sbatch")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, "scripts", "slurm"))
from result_json import Result  # noqa: E402

POINTS = [50.0, 75.0, 95.0, 99.0]


def dist(mean, std, count, pcts):
    d = {"count": count, "mean": mean, "min": pcts[0] / 2, "max": pcts[-1] * 2, "std": std}
    for q, v in zip(POINTS, pcts):
        d[f"p{q:g}"] = v
    return d


def result(world=1, tp=1, conc=64, prompts=256, out_tps=1000.0, ttft=(0.1, 0.02),
           replicas=None, complete=True):
    """A result in the layout of coordinator/report/json_report.cpp."""
    dp = world // tp
    n = prompts
    reps = replicas or [{"replica": i, "leader_rank": i * tp, "ranks": list(range(i * tp, i * tp + tp)),
                         "host": "vm", "engine": "sim", "requests": n // dp,
                         "output_tokens": int(out_tps * 10 / dp), "output_throughput": out_tps / dp,
                         "busy_ns": 9_000_000_000, "busy_percent": 90.0, "preemptions": 0}
                        for i in range(dp)]
    return {
        "tpbench_version": "0.1.0", "complete": complete,
        "incomplete_reason": None if complete else "timeout",
        "config": {"dataset": "d.jsonl", "model": "m", "concurrency": conc, "num_prompts": prompts,
                   "seed": 0, "tp": tp, "backend": "sim", "percentiles": POINTS},
        "environment": {"backend": "sim", "world_size": world, "tp": tp, "dp": dp,
                        "hosts": ["vm"], "gpus": [], "started_at": "2026-11-27T21:00:00Z",
                        "t0_skew_ns": 1000},
        "metrics": {"percentile_points": POINTS, "total_requests": n, "completed": n, "failed": 0,
                    "failure_reasons": [], "total_input_tokens": 100 * n,
                    "total_output_tokens": int(out_tps * 10), "duration_s": 10.0,
                    "input_throughput": 10.0 * n, "output_throughput": out_tps,
                    "total_throughput": 10.0 * n + out_tps, "request_throughput": n / 10.0,
                    "requests_per_minute": 6.0 * n, "have_ttft": True, "have_itl": False,
                    "latency_unit": "s",
                    "e2e": dist(1.0, 0.2, n, [0.9, 1.1, 1.4, 1.6]),
                    "ttft": dist(ttft[0], ttft[1], n, [ttft[0], ttft[0] * 1.2, ttft[0] * 1.5,
                                                       ttft[0] * 2]),
                    "tpot": dist(0.02, 0.002, n, [0.02, 0.021, 0.024, 0.026]),
                    "itl": None},
        "replicas": reps,
    }


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def table_row(output, metric):
    for line in output.splitlines():
        if line.startswith(metric + " ") or line.startswith(metric + "  "):
            return line
    raise AssertionError(f"no row {metric!r} in:\n{output}")


class ResultReader(unittest.TestCase):
    def test_reads_report_layout(self):
        with tempfile.TemporaryDirectory() as d:
            r = Result(write(os.path.join(d, "r", "result.json"),
                             result(world=8, tp=2, conc=32, out_tps=1234.5)))
            self.assertEqual((r.world, r.tp, r.dp, r.concurrency, r.num_prompts),
                             (8, 2, 4, 32, 256))
            self.assertEqual(r.backend, "sim")
            self.assertTrue(r.complete)
            self.assertEqual(r.throughput("output_throughput"), 1234.5)
            t = r.distribution("ttft")
            self.assertEqual(t.percentiles[99.0], 0.2)
            self.assertEqual(t.stat("p50"), 0.1)
            self.assertIsNone(r.distribution("itl"))  # null without streaming ITL
            self.assertEqual(r.label(), "r")

    def test_millisecond_unit(self):
        doc = result()
        doc["metrics"]["latency_unit"] = "ms"
        doc["metrics"]["ttft"]["p50"] = 100.0
        with tempfile.TemporaryDirectory() as d:
            r = Result(write(os.path.join(d, "x.json"), doc))
            self.assertAlmostEqual(r.distribution("ttft").percentiles[50.0], 0.1)


class Compare(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def side(self, name, throughputs, ttft=(0.1, 0.02)):
        return ",".join(write(os.path.join(self.d, name, f"r{i}", "result.json"),
                              result(out_tps=t, ttft=ttft))
                        for i, t in enumerate(throughputs))

    def test_throughput_verdict_needs_repeats(self):
        base = self.side("base", [1000.0])
        new = self.side("new", [1100.0])
        p = run([COMPARE, base, new])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(table_row(p.stdout, "output tok/s").endswith("n/a"), p.stdout)

    def test_throughput_better_and_within_noise(self):
        base = self.side("base", [1000.0, 1010.0, 990.0])
        better = self.side("better", [1100.0, 1105.0, 1095.0])
        same = self.side("same", [1004.0, 996.0, 1012.0])
        p = run([COMPARE, base, better, same])
        self.assertEqual(p.returncode, 0, p.stderr)
        row = table_row(p.stdout, "output tok/s").split()
        # noise = sqrt(10^2/3 + 5^2/3); threshold = 2 * noise
        thr = 2 * math.sqrt(100 / 3 + 25 / 3)
        self.assertIn(f"{thr:.3g}", row)
        self.assertEqual(row.count("better"), 1)
        self.assertEqual(row[-1], "~")

    def test_one_run_side_borrows_other_spread(self):
        base = self.side("base", [1000.0, 1010.0, 990.0])
        new = self.side("new", [1030.0])
        p = run([COMPARE, base, new])
        row = table_row(p.stdout, "output tok/s").split()
        # s = 10 on both sides: noise = sqrt(100/3 + 100/1) = 11.5; 2x = 23.1 < 30 -> better
        self.assertIn("23.1", row)
        self.assertEqual(row[-1], "better")

    def test_latency_rule_from_per_request_spread(self):
        # ttft std 0.02 s, 256 requests: SE(mean) = 0.02/16 = 1.25 ms; noise = 1.77 ms;
        # 2x = 3.54 ms. A 3 ms shift is within noise, a 5 ms shift is worse.
        base = self.side("base", [1000.0], ttft=(0.100, 0.02))
        near = self.side("near", [1000.0], ttft=(0.103, 0.02))
        far = self.side("far", [1000.0], ttft=(0.105, 0.02))
        p = run([COMPARE, base, near, far, "--fail-on-worse"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        row = table_row(p.stdout, "TTFT mean ms").split()
        self.assertIn("3.54", row)
        self.assertEqual(row[row.index("3.54") + 1], "~")
        self.assertEqual(row[-1], "worse")
        # p99: factor sqrt(.99*.01)/phi(z_.99) = 3.733; a 0.2 -> 0.21 s shift (10 ms) is
        # within 2*3.733*1.77 = 13.2 ms
        p99 = table_row(p.stdout, "TTFT p99 ms").split()
        f = math.sqrt(0.99 * 0.01) / statistics.NormalDist().pdf(
            statistics.NormalDist().inv_cdf(0.99))
        self.assertIn(f"{2 * f * math.sqrt(2) * 1.25:.3g}", p99)

    def test_config_difference_reported(self):
        base = write(os.path.join(self.d, "a.json"), result(world=2))
        other = write(os.path.join(self.d, "b.json"), result(world=4))
        p = run([COMPARE, base, other])
        self.assertIn("world_size: 2 | 4", p.stdout)

    def test_missing_file_is_an_error(self):
        p = run([COMPARE, os.path.join(self.d, "nope.json"), os.path.join(self.d, "nope2.json")])
        self.assertNotEqual(p.returncode, 0)


class ScalingStudy(unittest.TestCase):
    def test_gather_efficiency_and_plots(self):
        with tempfile.TemporaryDirectory() as d:
            strong = {1: 1000.0, 2: 1900.0, 4: 3400.0, 8: 5600.0}
            for w, t in strong.items():
                write(os.path.join(d, "runs", f"s{w}", "result.json"),
                      result(world=w, conc=64, prompts=256, out_tps=t))
            weak = {1: 500.0, 2: 990.0, 4: 1960.0}
            for w, t in weak.items():
                write(os.path.join(d, "runs", f"w{w}", "result.json"),
                      result(world=w, conc=8 * w, prompts=32 * w, out_tps=t))
            for c, ttft in ((16, 0.05), (32, 0.08)):  # latency sweep at 8 ranks
                write(os.path.join(d, "runs", f"l{c}", "result.json"),
                      result(world=8, conc=c, prompts=256, out_tps=2000.0, ttft=(ttft, 0.01)))
            write(os.path.join(d, "runs", "broken", "result.json"),
                  result(world=8, conc=64, out_tps=99999.0, complete=False))
            out = os.path.join(d, "study")
            p = run([STUDY, "gather", os.path.join(d, "runs"), "-o", out])
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(out, "scaling.csv")) as f:
                rows = list(csv.DictReader(f))
            by = {(int(r["world"]), int(r["concurrency"]), int(r["num_prompts"])): r for r in rows}
            for w, t in strong.items():
                r = by[(w, 64, 256)]
                self.assertAlmostEqual(float(r["strong_efficiency"]), t / (w * 1000.0), places=5)
            for w, t in weak.items():
                r = by[(w, 8 * w, 32 * w)]
                self.assertAlmostEqual(float(r["weak_efficiency"]), t / (w * 500.0), places=5)
            # the incomplete run is listed but not averaged into the 8-rank strong point
            self.assertAlmostEqual(float(by[(8, 64, 256)]["output_throughput"]), 5600.0)
            with open(os.path.join(out, "results.csv")) as f:
                self.assertEqual(sum(1 for _ in csv.DictReader(f)), 10)
            with open(os.path.join(out, "replicas.csv")) as f:
                self.assertEqual(sum(1 for r in csv.DictReader(f) if r["run"] == "s8"), 8)
            if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode:
                self.skipTest("gnuplot not installed: plots not checked")
            for name in ("throughput", "efficiency", "ttft", "tpot", "load_balance", "overview"):
                for ext in ("png", "svg"):
                    path = os.path.join(out, "plots", f"{name}.{ext}")
                    self.assertTrue(os.path.getsize(path) > 1000, path)

    def test_plan(self):
        p = run([STUDY, "run", "d", "m", "--ranks", "1,2,4,8", "--tp", "1,2",
                 "--strong-concurrency", "64", "--weak-concurrency", "4",
                 "--latency-concurrency", "8,64", "--dry-run"])
        self.assertEqual(p.returncode, 0, p.stderr)
        plan = [l.split()[2] for l in p.stderr.splitlines() if " plan " in l]
        self.assertIn("w8-tp2-c16-n512", plan)   # weak: 4 per replica x 4 replicas
        self.assertIn("w8-tp1-c8-n512", plan)    # latency sweep at the largest world
        self.assertIn("w8-tp1-c64-n512", plan)   # strong and latency share one run
        self.assertNotIn("w1-tp2-c64-n512", plan)
        self.assertEqual(len(plan), len(set(plan)))


class TokenIds(unittest.TestCase):
    def test_dataset_shape(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.jsonl")
            p = run([STUDY, "token-ids", path, "-n", "50", "--min-len", "4", "--max-len", "9",
                     "--vocab", "100"])
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(path) as f:
                rows = [json.loads(line) for line in f]
            self.assertEqual(len(rows), 50)
            for r in rows:
                self.assertTrue(4 <= len(r["input_ids"]) < 9)
                self.assertTrue(4 <= r["output_len"] < 9)
                self.assertTrue(all(3 <= t < 100 for t in r["input_ids"]))


class SbatchTemplate(unittest.TestCase):
    """The template outside Slurm: argument checks and the launch line (srun stub)."""

    def test_launch_line_and_run_dir(self):
        with tempfile.TemporaryDirectory() as d:
            stub = os.path.join(d, "bin")
            os.makedirs(stub)
            with open(os.path.join(stub, "srun"), "w") as f:
                f.write('#!/bin/sh\nif [ "$1" = --mpi=list ]; then echo "srun: pmix"; exit 0; fi\n'
                        'shift 2\nexec "$@"\n')
            prog = os.path.join(d, "profile_throughput")
            with open(prog, "w") as f:  # writes {} to --json's file unless NO_JSON is set
                f.write('#!/bin/sh\n[ -n "$NO_JSON" ] && exit 0\n'
                        'while [ $# -gt 0 ]; do [ "$1" = --json ] && echo "{}" >"$2"; shift; done\n')
            for x in (os.path.join(stub, "srun"), prog):
                os.chmod(x, 0o755)
            env = dict(os.environ, PATH=stub + ":" + os.environ["PATH"], SLURM_JOB_ID="42",
                       SLURM_SUBMIT_DIR=d, SLURM_NTASKS="4", SLURM_NTASKS_PER_NODE="2(x2)",
                       SLURM_JOB_NUM_NODES="2", TPB_BIN=prog, TPB_TP="2",
                       TPB_ARGS="-c 8 --percentiles 50,99")
            p = run(["bash", SBATCH, "data.jsonl", "model", "--backend", "sim"], env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            cmd = read(os.path.join(d, "runs", "42", "command"))
            self.assertIn("srun --mpi=pmix", cmd)
            self.assertIn(f"--json {d}/runs/42/result.json", cmd)
            self.assertIn("--tp 2", cmd)
            self.assertIn(r"-c 8 --percentiles 50\,99 --backend sim", cmd)  # printf %q
            p = run(["bash", SBATCH, "data.jsonl", "model"], env=dict(env, TPB_TP="3"))
            self.assertEqual(p.returncode, 2)
            self.assertIn("does not divide", p.stderr)
            p = run(["bash", SBATCH], env=dict(env, TPB_DATASET=""))
            self.assertEqual(p.returncode, 2)
            # --tp among the options wins over TPB_TP, and is checked against the tasks
            p = run(["bash", SBATCH, "data.jsonl", "model", "--tp", "4"],
                    env=dict(env, SLURM_JOB_ID="45"))
            self.assertEqual(p.returncode, 0, p.stderr)
            cmd = read(os.path.join(d, "runs", "45", "command"))
            self.assertEqual(cmd.count("--tp"), 1, cmd)
            self.assertIn("--tp 4", cmd)
            p = run(["bash", SBATCH, "data.jsonl", "model"],
                    env=dict(env, SLURM_JOB_ID="46", TPB_ARGS="--tp=8"))
            self.assertEqual(p.returncode, 2)
            self.assertIn("--tp 8 does not divide the 4 tasks", p.stderr)
            p = run(["bash", SBATCH, "data.jsonl", "model"], env=dict(env, TPB_TP="two"))
            self.assertEqual(p.returncode, 2)
            # no pmix plugin: falls back to mpirun
            with open(os.path.join(stub, "srun"), "w") as f:
                f.write('#!/bin/sh\necho "srun: none"\n')
            with open(os.path.join(stub, "mpirun"), "w") as f:
                f.write('#!/bin/sh\nwhile [ ! -x "$1" ]; do shift; done\nexec "$@"\n')
            os.chmod(os.path.join(stub, "mpirun"), 0o755)
            p = run(["bash", SBATCH, "data.jsonl", "model"], env=dict(env, SLURM_JOB_ID="43"))
            self.assertEqual(p.returncode, 0, p.stderr)
            cmd = read(os.path.join(d, "runs", "43", "command"))
            self.assertTrue(cmd.startswith("mpirun -np 4 --map-by ppr:2:node"), cmd)
            # a launcher that exits 0 without a result.json is a failed job
            p = run(["bash", SBATCH, "data.jsonl", "model"],
                    env=dict(env, SLURM_JOB_ID="44", NO_JSON="1"))
            self.assertEqual(p.returncode, 1)
            self.assertIn("wrote no", p.stderr)


if __name__ == "__main__":
    unittest.main()
