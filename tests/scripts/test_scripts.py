#!/usr/bin/env python3
"""Tests of scripts/compare, scripts/scaling_study and the sbatch template on real
profile_throughput --json results: the committed sim runs in data/sim_runs (made by
make_sim_runs.sh) and runs of the sim backend started here with mpirun.

  test_scripts.py [--exe build/profile_throughput] [--mpiexec 'mpirun;--allow-run-as-root']
                  [unittest options]

ctest passes the built program and mpirun as the e2e tests get them; without a program the
tests that run it are skipped."""

import argparse
import copy
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(REPO, "scripts", "compare")
STUDY = os.path.join(REPO, "scripts", "scaling_study")
SBATCH = os.path.join(REPO, "scripts", "slurm", "profile_throughput.sbatch")
SIM_RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sim_runs")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, "scripts", "slurm"))
from result_json import Result  # noqa: E402
from significance import betainc, holm, t_two_sided_p, welch  # noqa: E402

EXE = None      # profile_throughput, set in __main__
MPIEXEC = None  # mpirun and its flags


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def load(path):
    with open(path) as f:
        return json.load(f)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def table_rows(output):
    """{metric: [cells]} of compare's table (metric names hold one space: 'TTFT p99 ms')."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) < 6 or set(line) <= {"-"}:
            continue
        for n in (1, 2, 3):  # metric names are 1-3 words
            name = " ".join(parts[:n])
            if name in KNOWN_METRICS:
                rows[name] = parts[n:]
    return rows


KNOWN_METRICS = {"output tok/s", "input tok/s", "total tok/s", "requests/s", "duration s"} | {
    f"{m} {s} ms" for m in ("TTFT", "TPOT", "ITL", "E2E")
    for s in ("mean", "p50", "p75", "p95", "p99")}


def sim_runs(kind, numbers):
    return ",".join(os.path.join(SIM_RUNS, kind, f"r{i}") for i in numbers)


def token_ids_dataset(path, count=16):
    p = run([STUDY, "token-ids", path, "-n", str(count), "--min-len", "4", "--max-len", "12"])
    assert p.returncode == 0, p.stderr
    return path


def need_program(test):
    if not EXE or not os.access(EXE, os.X_OK):
        test.skipTest("no profile_throughput (build it; ctest passes --exe)")


class Significance(unittest.TestCase):
    """The t distribution and tests against closed forms and published values."""

    def test_t_distribution(self):
        for t in (0.3, 1.0, 2.5, 12.706):
            # df 1 is the Cauchy distribution, df 2 has a closed form too
            self.assertAlmostEqual(t_two_sided_p(t, 1), 1 - 2 / math.pi * math.atan(t), places=12)
            self.assertAlmostEqual(t_two_sided_p(t, 2), 1 - t / math.sqrt(2 + t * t), places=12)
        # two-sided critical values of the t table
        self.assertAlmostEqual(t_two_sided_p(2.228, 10), 0.05, places=4)
        self.assertAlmostEqual(t_two_sided_p(4.032, 5), 0.01, places=4)
        self.assertAlmostEqual(t_two_sided_p(2.750, 30), 0.01, places=4)
        self.assertAlmostEqual(t_two_sided_p(1.959964, 1e7), 0.05, places=6)  # -> normal
        self.assertEqual(t_two_sided_p(0.0, 4), 1.0)
        self.assertAlmostEqual(t_two_sided_p(-2.228, 10), t_two_sided_p(2.228, 10), places=15)

    def test_incomplete_beta(self):
        for x in (0.05, 0.3, 0.5, 0.8, 0.99):
            self.assertAlmostEqual(betainc(2.5, 1, x), x ** 2.5, places=12)
            self.assertAlmostEqual(betainc(1, 4, x), 1 - (1 - x) ** 4, places=12)
            self.assertAlmostEqual(betainc(3.7, 2.2, x), 1 - betainc(2.2, 3.7, 1 - x), places=12)
        self.assertAlmostEqual(betainc(7, 7, 0.5), 0.5, places=12)

    def test_welch(self):
        # R: t.test(c(4,5,6), c(1,2,3)): t = 3.6742, df = 4, p-value = 0.02131
        t, df, p = welch([1, 2, 3], [4, 5, 6])
        self.assertAlmostEqual(t, 3.6742, places=4)
        self.assertAlmostEqual(df, 4.0)
        self.assertAlmostEqual(p, 0.02131, places=5)
        # unequal spreads: df = (5/12 + 2)^2 / ((5/12)^2/3 + 2^2/4) = 5.5208 (by hand)
        self.assertAlmostEqual(welch([1, 2, 3, 4], [2, 4, 6, 8, 10])[1], 5.5208, places=4)
        # one run against repeats borrows their spread: t = 3 / (1 * sqrt(1/3 + 1)), df 2
        t, df, p = welch([1, 2, 3], [5])
        self.assertAlmostEqual(t, 3 / math.sqrt(4 / 3))
        self.assertEqual(df, 2)
        self.assertEqual(welch([2, 2], [2, 2])[2], 1.0)
        self.assertEqual(welch([2, 2], [3, 3])[2], 0.0)

    def test_holm(self):
        # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1, made monotone
        self.assertEqual([round(p, 12) for p in holm([0.01, 0.04, 0.03, 0.005])],
                         [0.03, 0.06, 0.06, 0.02])
        self.assertEqual(holm([0.5]), [0.5])
        self.assertEqual(holm([0.4, 0.6]), [0.8, 0.8])


class CompareSimRuns(unittest.TestCase):
    """scripts/compare on the committed real sim runs: 8 of one configuration (same/) and 4 with
    the step's fixed part doubled (slow/)."""

    def verdicts(self, out):
        return {m: cells[-1] for m, cells in table_rows(out).items()}

    def test_repeats_of_one_configuration_show_no_difference(self):
        # every other run on each side, so that a drift over time is not mistaken for a side
        p = run([COMPARE, sim_runs("same", [1, 3, 5, 7]), sim_runs("same", [2, 4, 6, 8]),
                 "--fail-on-worse"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        v = self.verdicts(p.stdout)
        self.assertEqual(len(v), 25, p.stdout)  # 5 throughput rows + 4 latencies x 5 statistics
        self.assertEqual(set(v.values()), {"~"}, p.stdout)
        self.assertNotIn("configurations differ", p.stdout)

    def test_doubled_step_is_worse(self):
        p = run([COMPARE, sim_runs("same", range(1, 9)), sim_runs("slow", range(1, 5)),
                 "--fail-on-worse"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        v = self.verdicts(p.stdout)
        for m in ("output tok/s", "duration s", "TPOT mean ms", "TPOT p50 ms", "E2E mean ms",
                  "ITL p50 ms"):
            self.assertEqual(v[m], "worse", p.stdout)
        self.assertIn("sim_base_ms: 5.0 | 10.0", p.stdout)
        p = run([COMPARE, os.path.join(SIM_RUNS, "slow"), os.path.join(SIM_RUNS, "same")])
        self.assertEqual(self.verdicts(p.stdout)["output tok/s"], "better", p.stdout)

    def test_one_run_a_side_needs_the_noise_floor(self):
        p = run([COMPARE, sim_runs("same", [1]), sim_runs("same", [2])])
        self.assertEqual(p.returncode, 0, p.stderr)
        for m, cells in table_rows(p.stdout).items():
            pct = abs(float(cells[-3].rstrip("%")))
            self.assertEqual(cells[-2], "floor")
            self.assertEqual(cells[-1] == "inconclusive", pct <= 20, (m, cells))
        p = run([COMPARE, sim_runs("same", [1]), sim_runs("same", [2]), "--noise-floor", "60",
                 "--fail-on-worse"])
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(set(self.verdicts(p.stdout).values()), {"inconclusive"}, p.stdout)
        p = run([COMPARE, sim_runs("same", [1]), sim_runs("slow", [1]), "--fail-on-worse"])
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(self.verdicts(p.stdout)["TPOT mean ms"], "worse", p.stdout)

    def test_one_run_against_repeats(self):
        p = run([COMPARE, sim_runs("same", range(1, 9)), sim_runs("slow", [2]), "--fail-on-worse"])
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(self.verdicts(p.stdout)["TPOT mean ms"], "worse", p.stdout)
        self.assertNotIn("floor", [cells[-2] for cells in table_rows(p.stdout).values()])

    def test_bad_input(self):
        p = run([COMPARE, "/nonexistent/a.json", "/nonexistent/b.json"])
        self.assertNotEqual(p.returncode, 0)
        p = run([COMPARE, sim_runs("same", [1]), sim_runs("same", [2]), "--alpha", "1.5"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--alpha", p.stderr)


class LiveStudy(unittest.TestCase):
    """One real scaling study of the sim backend (token ids, MODEL that does not exist: the sim
    needs none): 1 and 2 ranks, strong at concurrency 4 and weak at 2 per replica. The other
    tests read its results."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.d = cls.tmp.name
        cls.study = None
        if not EXE or not os.access(EXE, os.X_OK):
            return
        cls.dataset = token_ids_dataset(os.path.join(cls.d, "t.jsonl"))
        cls.out = os.path.join(cls.d, "study")
        cls.study = run([STUDY, "run", cls.dataset, os.path.join(cls.d, "no-such-model"),
                         "--ranks", "1,2", "--strong-concurrency", "4", "-n", "16",
                         "--weak-concurrency", "2", "--weak-prompts", "8", "--bin", EXE,
                         "--mpirun", MPIEXEC[0], "-o", cls.out, "--",
                         "--dataset-name", "token-ids", "--backend", "sim", "--sim-step-ms", "1"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        need_program(self)

    def result_path(self, rid):
        return os.path.join(self.out, "runs", rid, "result.json")

    def test_study_ran_without_model(self):
        self.assertEqual(self.study.returncode, 0, self.study.stderr)
        self.assertIn("checking the options", self.study.stderr)
        for rid in ("w1-tp1-c4-n16", "w2-tp1-c4-n16", "w1-tp1-c2-n8"):
            self.assertTrue(load(self.result_path(rid))["complete"], rid)

    def test_reader_on_real_result(self):
        path = self.result_path("w2-tp1-c4-n16")
        doc = load(path)
        r = Result(path)
        self.assertEqual((r.world, r.tp, r.dp, r.concurrency, r.num_prompts), (2, 1, 2, 4, 16))
        self.assertEqual(r.backend, "sim")
        self.assertTrue(r.complete)
        self.assertEqual(r.throughput("output_throughput"), doc["metrics"]["output_throughput"])
        self.assertEqual(len(r.replicas), 2)
        for name in ("ttft", "tpot", "itl", "e2e"):
            raw = doc["metrics"][name]
            d = r.distribution(name)
            self.assertEqual(d.count, raw["count"], name)
            self.assertAlmostEqual(d.mean, raw["mean"], msg=name)
            self.assertAlmostEqual(d.stat("p99"), raw["p99"], msg=name)
            self.assertEqual(sorted(d.percentiles), [50.0, 75.0, 95.0, 99.0], name)
        self.assertEqual(r.label(), "w2-tp1-c4-n16")
        # the same document with latencies in ms reads the same
        doc_ms = copy.deepcopy(doc)
        doc_ms["metrics"]["latency_unit"] = "ms"
        for k in ("mean", "p50"):
            doc_ms["metrics"]["ttft"][k] *= 1e3
        t = Result(write(os.path.join(self.d, "ms", "result.json"), doc_ms)).distribution("ttft")
        self.assertAlmostEqual(t.percentiles[50.0], doc["metrics"]["ttft"]["p50"])
        self.assertAlmostEqual(t.mean, doc["metrics"]["ttft"]["mean"])

    def test_gather_efficiency(self):
        thr = {rid: load(self.result_path(rid))["metrics"]["output_throughput"]
               for rid in ("w1-tp1-c4-n16", "w2-tp1-c4-n16", "w1-tp1-c2-n8")}
        runs = os.path.join(self.out, "runs")
        # an incomplete run of the 2-rank strong shape: listed, not averaged into the point
        broken = load(self.result_path("w2-tp1-c4-n16"))
        broken["complete"] = False
        broken["metrics"]["output_throughput"] *= 100
        extra = os.path.join(self.d, "extra")
        write(os.path.join(extra, "broken", "result.json"), broken)
        out = os.path.join(self.d, "gathered")
        p = run([STUDY, "gather", runs, extra, "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "scaling.csv")) as f:
            by = {(int(r["world"]), int(r["concurrency"])): r for r in csv.DictReader(f)}
        strong = float(by[(2, 4)]["strong_efficiency"])
        self.assertAlmostEqual(strong, thr["w2-tp1-c4-n16"] / (2 * thr["w1-tp1-c4-n16"]),
                               places=4)
        weak = float(by[(2, 4)]["weak_efficiency"])  # 2 per replica: c2 n8 at 1 rank
        self.assertAlmostEqual(weak, thr["w2-tp1-c4-n16"] / (2 * thr["w1-tp1-c2-n8"]), places=4)
        self.assertAlmostEqual(float(by[(2, 4)]["output_throughput"]), thr["w2-tp1-c4-n16"],
                               delta=1e-5 * thr["w2-tp1-c4-n16"])
        with open(os.path.join(out, "results.csv")) as f:
            self.assertEqual(sum(1 for _ in csv.DictReader(f)), 4)
        with open(os.path.join(out, "replicas.csv")) as f:
            self.assertEqual(sum(1 for r in csv.DictReader(f) if r["run"] == "w2-tp1-c4-n16"), 2)
        if not shutil.which("gnuplot"):
            self.skipTest("gnuplot not installed: plots not checked")
        for name in ("throughput", "efficiency", "load_balance", "overview"):
            for ext in ("png", "svg"):
                path = os.path.join(out, "plots", f"{name}.{ext}")
                self.assertTrue(os.path.getsize(path) > 1000, path)

    def study_refused(self, extra, model="no-such-model"):
        out = os.path.join(self.d, "refused")
        shutil.rmtree(out, ignore_errors=True)
        p = run([STUDY, "run", self.dataset, os.path.join(self.d, model), "--ranks", "1,2",
                 "--strong-concurrency", "4", "-n", "16", "--bin", EXE, "--mpirun", MPIEXEC[0],
                 "-o", out, "--"] + extra)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "runs")), "a run was launched")
        self.assertNotIn("Traceback", p.stderr)
        return p.stderr

    def test_bad_options_stop_the_study_before_any_run(self):
        sim = ["--dataset-name", "token-ids", "--backend", "sim"]
        err = self.study_refused(sim + ["--no-such-flag"])
        self.assertIn("refuses the study's options", err)
        self.assertIn("--no-such-flag", err)
        err = self.study_refused(sim + ["--top-p", "2"])
        self.assertIn("--top-p: must be in (0, 1]", err)
        # the cpu backend reads MODEL: a missing one is refused up front
        err = self.study_refused(["--dataset-name", "token-ids", "--backend", "cpu"])
        self.assertIn("MODEL", err)
        self.assertIn("no-such-model", err)

    def test_sbatch_runs_the_real_program(self):
        stub = os.path.join(self.d, "stub-srun")
        os.makedirs(stub, exist_ok=True)
        with open(os.path.join(stub, "srun"), "w") as f:  # one task: the program alone
            f.write('#!/bin/sh\nif [ "$1" = --mpi=list ]; then echo "srun: pmix"; exit 0; fi\n'
                    'shift 2\nexec "$@"\n')
        os.chmod(os.path.join(stub, "srun"), 0o755)
        env = dict(os.environ, PATH=stub + ":" + os.environ["PATH"], SLURM_JOB_ID="7",
                   SLURM_SUBMIT_DIR=self.d, SLURM_NTASKS="1", TPB_BIN=EXE,
                   TPB_ARGS="--dataset-name token-ids --backend sim --sim-step-ms 1 -n 8 -c 4 "
                            "--percentiles '50,90'")
        p = run(["bash", SBATCH, self.dataset, "no-model"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        run_dir = os.path.join(self.d, "runs", "7")
        r = Result(os.path.join(run_dir, "result.json"))
        self.assertTrue(r.complete)
        self.assertEqual(r.num("metrics.completed"), 8)
        self.assertEqual(sorted(r.distribution("e2e").percentiles), [50.0, 90.0])
        self.assertIn("Profile Throughput", p.stdout)  # the report copied to the job output


def csv_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def close(a, b, rel=1e-5):
    return abs(float(a) - float(b)) <= rel * max(abs(float(a)), abs(float(b)), 1e-12)


class RateStudy(unittest.TestCase):
    """Rate sweeps of the sim backend on 1 and 2 ranks: a list of rates (the highest one too
    fast for --max-concurrency 4, so INVALID) and guidellm's sweep with K = 2. The SLO is loose,
    so which rate is the highest good one is decided by validity and the good share."""

    SIM = ["--dataset-name", "token-ids", "--backend", "sim", "--sim-step-ms", "1",
           "--goodput", "ttft:10000", "e2el:10000"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.d = cls.tmp.name
        if not EXE or not os.access(EXE, os.X_OK):
            return
        cls.dataset = token_ids_dataset(os.path.join(cls.d, "t.jsonl"))
        common = ["--ranks", "1,2", "-n", "12", "--max-concurrency", "4", "--burstiness", "inf",
                  "--bin", EXE,
                  "--mpirun", MPIEXEC[0]]
        cls.list_out = os.path.join(cls.d, "list")
        cls.listed = run([STUDY, "run", cls.dataset, "no-model", "--rates", "40,100,4000",
                          "-o", cls.list_out] + common + ["--"] + cls.SIM)
        cls.sweep_out = os.path.join(cls.d, "sweep")
        cls.swept = run([STUDY, "run", cls.dataset, "no-model", "--rates", "sweep:2",
                         "-o", cls.sweep_out] + common + ["--"] + cls.SIM)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        need_program(self)

    def check_rows_against_json(self, out):
        """Every rates.csv row holds what its run's result.json says."""
        rows = csv_rows(os.path.join(out, "rates.csv"))
        for r in rows:
            doc = load(os.path.join(out, "runs", r["run"], "result.json"))
            m = doc["metrics"]
            self.assertEqual(int(r["valid"]), int(doc["valid"]), r["run"])
            self.assertEqual(r["invalid_reasons"], "; ".join(doc["invalid_reasons"]), r["run"])
            self.assertEqual(int(r["world"]), doc["environment"]["world_size"])
            self.assertTrue(close(r["request_throughput"], m["request_throughput"]), r["run"])
            if r["mode"] == "rate":
                self.assertTrue(close(r["asked_rate"], doc["config"]["request_rate"]))
                self.assertTrue(close(r["asked_rate"], m["arrivals"]["asked_rate"]))
                self.assertTrue(close(r["achieved_rate"], m["arrivals"]["achieved_rate"]))
                self.assertEqual(int(r["max_concurrency"]), 4)
                command = read(os.path.join(out, "runs", r["run"], "command"))
                self.assertIn("--request-rate " + r["asked_rate"], command)
                self.assertIn("--max-concurrency 4 --burstiness inf", command)
            else:  # the sweep's closed loops ask no rate
                self.assertEqual(r["asked_rate"], "", r["run"])
            self.assertTrue(close(r["good_percent"], m["goodput"]["good_percent"]), r["run"])
            self.assertTrue(close(r["request_goodput"], m["goodput"]["request_goodput"]))
            self.assertEqual(r["slo"], "ttft:10000 e2el:10000")
            for col, dist, q in (("ttft_from_scheduled_p50_ms", "ttft_from_scheduled", "p50"),
                                 ("ttft_from_scheduled_p99_ms", "ttft_from_scheduled", "p99"),
                                 ("tpot_p50_ms", "tpot", "p50"), ("tpot_p99_ms", "tpot", "p99")):
                self.assertTrue(close(r[col], m[dist][q] * 1e3), (r["run"], col))
        return rows

    def check_highest_good(self, out, rows, require_good):
        """The marked rate is the highest asked rate whose runs are all complete, valid and
        have >= 99% good requests, recomputed here from rates.csv."""
        summary = {int(s["world"]): s for s in csv_rows(os.path.join(out, "rate_summary.csv"))}
        self.assertEqual(sorted(summary), [1, 2])
        for world, s in summary.items():
            mine = [r for r in rows if int(r["world"]) == world and r["mode"] == "rate"]
            ok = {}
            for r in mine:
                good = (r["complete"] == "1" and r["valid"] == "1"
                        and float(r["good_percent"]) >= 99)
                ok[float(r["asked_rate"])] = ok.get(float(r["asked_rate"]), True) and good
            best = max((rate for rate, g in ok.items() if g), default=None)
            marked = [float(r["asked_rate"]) for r in mine if r["highest_good"] == "1"]
            if best is None:  # a loaded machine can fail every rate of the sweep
                self.assertFalse(require_good, f"no good rate at {world} ranks: {mine}")
                self.assertEqual((s["highest_good_rate"], marked), ("", []), world)
                continue
            self.assertTrue(close(s["highest_good_rate"], best), (world, s, best))
            self.assertEqual(marked, [best], world)
            self.assertEqual(int(s["invalid_runs"]),
                             sum(1 for r in rows if int(r["world"]) == world
                                 and r["valid"] == "0"))
        return summary

    def check_plots(self, out, expect_invalid):
        if not shutil.which("gnuplot"):
            self.skipTest("gnuplot not installed: plots not checked")
        for name in ("rate_ttft", "rate_tpot", "overview"):
            for ext in ("png", "svg"):
                path = os.path.join(out, "plots", f"{name}.{ext}")
                self.assertTrue(os.path.getsize(path) > 1000, path)
        gp = read(os.path.join(out, "plots", "plots.gp"))
        if any(r["highest_good"] == "1" for r in csv_rows(os.path.join(out, "rates.csv"))):
            self.assertIn("highest rate meeting the SLO", gp)
        self.assertEqual("INVALID run" in gp, expect_invalid)

    def test_rate_list(self):
        self.assertEqual(self.listed.returncode, 0, self.listed.stderr)
        rows = self.check_rows_against_json(self.list_out)
        self.assertEqual(sorted((int(r["world"]), float(r["asked_rate"])) for r in rows),
                         [(w, rate) for w in (1, 2) for rate in (40.0, 100.0, 4000.0)])
        # 4000 req/s with 4 in flight cannot be taken in: INVALID, said and never the best
        for r in rows:
            if float(r["asked_rate"]) == 4000:
                self.assertEqual(r["valid"], "0", r)
                self.assertIn("achieved arrival rate", r["invalid_reasons"])
                self.assertIn(f"{r['run']}: INVALID", self.listed.stderr)
        summary = self.check_highest_good(self.list_out, rows, require_good=True)
        for s in summary.values():
            self.assertNotEqual(float(s["highest_good_rate"]), 4000)
        self.assertIn("highest good rate", self.listed.stdout)
        # the closed-loop tables leave the rate runs out
        self.assertEqual(csv_rows(os.path.join(self.list_out, "scaling.csv")), [])
        self.assertEqual(len(csv_rows(os.path.join(self.list_out, "results.csv"))), 6)
        self.check_plots(self.list_out, expect_invalid=True)

    def test_sweep(self):
        self.assertEqual(self.swept.returncode, 0, self.swept.stderr)
        rows = self.check_rows_against_json(self.sweep_out)
        for world in (1, 2):
            mine = {r["mode"]: r for r in rows if int(r["world"]) == world and r["mode"] != "rate"}
            sync = load(os.path.join(self.sweep_out, "runs", mine["sync"]["run"], "result.json"))
            top = load(os.path.join(self.sweep_out, "runs", mine["max"]["run"], "result.json"))
            # synchronous: one request in flight per replica; max: closed loop at -c = 4 (the cap)
            self.assertEqual(sync["config"]["concurrency"], world)
            self.assertEqual(top["config"]["concurrency"], 4)
            self.assertFalse(sync["metrics"]["open_loop"] or top["metrics"]["open_loop"])
            lo = sync["metrics"]["request_throughput"]
            hi = top["metrics"]["request_throughput"]
            want = sorted({float(f"{lo + (hi - lo) * i / 2:.4g}") for i in (1, 2)})
            got = sorted(float(r["asked_rate"]) for r in rows
                         if int(r["world"]) == world and r["mode"] == "rate")
            self.assertEqual(got, want, (lo, hi))
        self.check_highest_good(self.sweep_out, rows, require_good=False)
        summary = csv_rows(os.path.join(self.sweep_out, "rate_summary.csv"))
        for s in summary:
            self.assertTrue(float(s["sync_rate"]) > 0 and float(s["max_rate"]) > 0, s)
        self.check_plots(self.sweep_out, expect_invalid=any(r["valid"] == "0" for r in rows))


class ScalingStudyChecks(unittest.TestCase):
    def test_plot_without_results(self):
        with tempfile.TemporaryDirectory() as d:
            p = run([STUDY, "plot", d])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertNotIn("Traceback", p.stderr)
            self.assertIn("scaling.csv: no such file", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            with open(os.path.join(d, "scaling.csv"), "w") as f:
                f.write("a,b\n1,2\n")
            p = run([STUDY, "plot", d])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("not a scaling_study CSV", p.stderr)
            p = run([STUDY, "plot", os.path.join(d, "nonexistent")])
            self.assertEqual(p.returncode, 2, p.stderr)
            p = run([STUDY, "gather", d, "-o", os.path.join(d, "out")])
            self.assertNotEqual(p.returncode, 0)
            self.assertNotIn("Traceback", p.stderr)

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

    def test_rate_plan(self):
        base = [STUDY, "run", "d", "m", "--ranks", "1,2", "-n", "32", "--dry-run"]
        p = run(base + ["--rates", "sweep:3", "--max-concurrency", "8"])
        self.assertEqual(p.returncode, 0, p.stderr)
        plan = [l.split()[2] for l in p.stderr.splitlines() if " plan w" in l]
        self.assertEqual(plan, ["w1-tp1-sync-c1-n32", "w1-tp1-max-c8-n32",
                                "w2-tp1-sync-c2-n32", "w2-tp1-max-c8-n32"])
        self.assertIn("then 3 rate runs per world size", p.stderr)
        p = run(base + ["--rates", "2.5,10"])
        plan = [l.split()[2] for l in p.stderr.splitlines() if " plan w" in l]
        self.assertEqual(plan, ["w1-tp1-rate2.5-n32", "w1-tp1-rate10-n32",
                                "w2-tp1-rate2.5-n32", "w2-tp1-rate10-n32"])
        for bad in (["--rates", "sweep:0"], ["--rates", "0,1"], ["--rates", "fast"],
                    ["--rates", "1", "--", "--request-rate", "3"],
                    ["--rates", "1", "--", "--max-concurrency", "3"],
                    ["--max-concurrency", "3"]):
            p = run(base + bad)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))
            self.assertNotIn("Traceback", p.stderr)

    def test_study_options_checked_up_front(self):
        with tempfile.TemporaryDirectory() as d:
            dataset = token_ids_dataset(os.path.join(d, "t.jsonl"))
            prog = os.path.join(d, "prog")
            with open(prog, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(prog, 0o755)
            sim = ["--", "--dataset-name", "token-ids", "--backend", "sim"]
            base = [STUDY, "run", dataset, "m", "--ranks", "1", "--bin", prog,
                    "-o", os.path.join(d, "o")]
            for bad, word in ((["--parallel", "0"] + sim, "--parallel"),
                              (["--bin", os.path.join(d, "nope")] + sim, "--bin"),
                              (["--mpirun", "no-such-mpirun"] + sim, "no-such-mpirun"),
                              (sim + ["-c", "4"], "-c"),
                              ([], "MODEL m")):  # the default backend reads MODEL
                p = run(base + bad)
                self.assertEqual(p.returncode, 2, (bad, p.stderr))
                self.assertIn(word, p.stderr)
                self.assertFalse(os.path.exists(os.path.join(d, "o", "runs")))


class SbatchTemplate(unittest.TestCase):
    """The template outside Slurm with stub srun, mpirun and program: argument checks, the
    launch line, TPB_ARGS quoting and where the program's stderr goes."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.d = self.tmp.name
        self.stub = os.path.join(d, "bin")
        os.makedirs(self.stub)
        self.script(os.path.join(self.stub, "srun"),
                    'if [ "$1" = --mpi=list ]; then echo "srun: pmix"; exit 0; fi\n'
                    'shift 2\nexec "$@"\n')
        # the program: its arguments one a line to $ARGS_OUT, a progress line on stderr, {} to
        # --json's file unless NO_JSON is set
        self.prog = os.path.join(d, "profile_throughput")
        self.script(self.prog, 'printf "%s\\n" "$@" >"$ARGS_OUT"\n'
                               'echo "progress: 1/2 requests" >&2\n'
                               '[ -n "$NO_JSON" ] && exit 0\n'
                               'while [ $# -gt 0 ]; do [ "$1" = --json ] && echo "{}" >"$2"; '
                               'shift; done\necho report\n')
        self.env = dict(os.environ, PATH=self.stub + ":" + os.environ["PATH"],
                        SLURM_JOB_ID="42", SLURM_SUBMIT_DIR=d, SLURM_NTASKS="4",
                        SLURM_NTASKS_PER_NODE="2(x2)", SLURM_JOB_NUM_NODES="2",
                        TPB_BIN=self.prog, TPB_TP="2", ARGS_OUT=os.path.join(d, "args"),
                        TPB_ARGS="-c 8 --percentiles 50,99")

    def tearDown(self):
        self.tmp.cleanup()

    @staticmethod
    def script(path, body):
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)

    def sbatch(self, *args, **env):
        return run(["bash", SBATCH] + list(args), env=dict(self.env, **env))

    def program_args(self):
        return read(os.path.join(self.d, "args")).splitlines()

    def test_launch_line_and_run_dir(self):
        p = self.sbatch("data.jsonl", "model", "--backend", "sim")
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.d
        cmd = read(os.path.join(d, "runs", "42", "command"))
        self.assertIn("srun --mpi=pmix", cmd)
        self.assertIn(f"--json {d}/runs/42/result.json", cmd)
        self.assertIn("--tp 2", cmd)
        self.assertIn(r"-c 8 --percentiles 50\,99 --backend sim", cmd)  # printf %q
        self.assertEqual(self.program_args()[-6:],
                         ["-c", "8", "--percentiles", "50,99", "--backend", "sim"])
        self.assertIn("report", p.stdout)
        p = self.sbatch("data.jsonl", "model", TPB_TP="3")
        self.assertEqual(p.returncode, 2)
        self.assertIn("does not divide", p.stderr)
        p = self.sbatch(TPB_DATASET="")
        self.assertEqual(p.returncode, 2)
        # --tp among the options wins over TPB_TP, and is checked against the tasks
        p = self.sbatch("data.jsonl", "model", "--tp", "4", SLURM_JOB_ID="45")
        self.assertEqual(p.returncode, 0, p.stderr)
        cmd = read(os.path.join(d, "runs", "45", "command"))
        self.assertEqual(cmd.count("--tp"), 1, cmd)
        self.assertIn("--tp 4", cmd)
        p = self.sbatch("data.jsonl", "model", SLURM_JOB_ID="46", TPB_ARGS="--tp=8")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tp 8 does not divide the 4 tasks", p.stderr)
        p = self.sbatch("data.jsonl", "model", TPB_TP="two")
        self.assertEqual(p.returncode, 2)
        # a launcher that exits 0 without a result.json is a failed job
        p = self.sbatch("data.jsonl", "model", SLURM_JOB_ID="44", NO_JSON="1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("wrote no", p.stderr)

    def test_mpirun_fallback(self):
        self.script(os.path.join(self.stub, "srun"), 'echo "srun: none"\n')
        self.script(os.path.join(self.stub, "mpirun"), 'while [ ! -x "$1" ]; do shift; done\n'
                                                        'exec "$@"\n')
        p = self.sbatch("data.jsonl", "model", SLURM_JOB_ID="43",
                        TPB_MPIRUN_ARGS="--mca btl '^openib'")
        self.assertEqual(p.returncode, 0, p.stderr)
        cmd = read(os.path.join(self.d, "runs", "43", "command"))
        self.assertTrue(cmd.startswith("mpirun -np 4 --map-by ppr:2:node"), cmd)
        self.assertIn(r"--mca btl \^openib ", cmd)

    def test_tpb_args_quoting(self):
        p = self.sbatch("data.jsonl", "model", TPB_ARGS="""-c 8 --x 'a b' --y "c d" e\\ f """
                                                         """'$HOME' `id` --z=it\\'s""")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.program_args()[-10:], ["-c", "8", "--x", "a b", "--y", "c d",
                                                     "e f", "$HOME", "`id`", "--z=it's"])
        os.remove(os.path.join(self.d, "args"))
        p = self.sbatch("data.jsonl", "model", TPB_ARGS="-c 8 --x 'a b")
        self.assertEqual(p.returncode, 2)
        self.assertIn("TPB_ARGS: unmatched single quote", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "args")), "the program ran")

    def test_progress_reaches_the_job_output(self):
        p = self.sbatch("data.jsonl", "model")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Slurm writes the batch script's stdout and stderr to slurm-<jobid>.out
        self.assertIn("progress: 1/2 requests", p.stderr)
        self.assertEqual(read(os.path.join(self.d, "runs", "42", "stderr")),
                         "progress: 1/2 requests\n")
        self.assertEqual(read(os.path.join(self.d, "runs", "42", "stdout")), "report\n")


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


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--exe", default=os.path.join(REPO, "build", "profile_throughput"))
    ap.add_argument("--mpiexec", default="mpirun;--allow-run-as-root;--oversubscribe",
                    help="mpirun and its flags, ';'-separated")
    args, rest = ap.parse_known_args()
    EXE = os.path.abspath(args.exe)
    MPIEXEC = [a for a in args.mpiexec.split(";") if a]
    unittest.main(argv=[sys.argv[0]] + rest)
