#!/usr/bin/env python3
"""End-to-end cases of profile_throughput as users start it (mpirun), checked against real
references: stories260K's golden greedy ids through the whole tool, and one clear line with
exit code 2 for each kind of bad input."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

ERROR_PREFIX = "profile_throughput: error:"


SKIPPED = 77  # ctest SKIP_RETURN_CODE


def run(cmd, timeout=240, env=None):
    full_env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    full_env.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)
    return p.returncode, p.stdout, p.stderr


def fail(msg, out="", err=""):
    print("FAIL:", msg)
    if out:
        print("--- stdout\n" + out[-4000:])
    if err:
        print("--- stderr\n" + err[-4000:])
    sys.exit(1)


def convert_stories(args, work):
    model = os.path.join(work, "stories260K")
    subprocess.run([sys.executable, os.path.join(args.source, "scripts", "convert_llama2c.py"),
                    os.path.join(args.source, "data", "models", "stories260K", "stories260K.bin"),
                    model], check=True, capture_output=True)
    return model


def gpu_visible():
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU " in out.stdout


def case_golden(args, work):
    """Greedy from BOS through the whole tool equals the golden ids, every request."""
    if args.backend == "cuda" and not gpu_visible():
        print("skipped: --backend cuda needs a GPU and nvidia-smi -L lists none")
        sys.exit(SKIPPED)
    model = convert_stories(args, work)
    env = None
    if args.hub_id:
        # MODEL as a hub id: the converted model becomes a snapshot of a fake Hugging Face
        # cache under $HF_HOME/hub, and every rank must resolve the id to it on its own.
        commit = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"
        repo = os.path.join(work, "hf-home", "hub", "models--" + args.hub_id.replace("/", "--"))
        os.makedirs(os.path.join(repo, "refs"))
        write(os.path.join(repo, "refs", "main"), commit)
        os.makedirs(os.path.join(repo, "snapshots"))
        snapshot = os.path.join(repo, "snapshots", commit)
        shutil.move(model, snapshot)
        model = args.hub_id
        env = {"HF_HOME": os.path.join(work, "hf-home")}
        for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
            os.environ.pop(var, None)
    with open(os.path.join(args.source, "data", "models", "stories260K",
                           "stories260K-greedy-from-bos.txt")) as f:
        golden = [int(t) for t in f.read().split()]
    n = 4
    dataset = os.path.join(work, "bos.jsonl")
    with open(dataset, "w") as f:
        for _ in range(n):
            f.write(json.dumps({"input_ids": [1], "output_len": len(golden)}) + "\n")
    requests = os.path.join(work, "requests.jsonl")
    result = os.path.join(work, "result.json")
    cmd = args.mpiexec + ["-np", str(args.np), args.exe, dataset, model,
                          "--dataset-name", "token-ids", "--backend", args.backend,
                          "--tp", str(args.tp), "-n", str(n), "-c", str(n), "--csv", "",
                          "--requests-out", requests, "--record-tokens", "--json", result] + args.extra
    rc, out, err = run(cmd, env=env)
    if rc != 0:
        fail(f"exit code {rc}", out, err)
    with open(requests) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if sorted(r["id"] for r in records) != list(range(n)):
        fail(f"request ids {sorted(r['id'] for r in records)}", out, err)
    for r in records:
        if r["token_ids"] != golden:
            first = next(i for i, (a, b) in enumerate(zip(r["token_ids"], golden)) if a != b) \
                if len(r["token_ids"]) == len(golden) else -1
            fail(f"request {r['id']}: ids differ from the golden ones (first at {first})", out, err)
    with open(result) as f:
        report = json.load(f)
    preemptions = sum(r["preemptions"] for r in report["replicas"])
    if args.hub_id and (report["config"]["model"] != args.hub_id or
                        report["config"]["model_dir"] != snapshot):
        fail(f"config model {report['config']['model']!r} model_dir "
             f"{report['config']['model_dir']!r}, want {args.hub_id!r} and {snapshot!r}", out, err)
    if args.expect_preemption and preemptions == 0:
        fail("the KV cache was meant to be small enough to preempt, and nothing was preempted",
             out, err)
    print(f"ok: {n} requests at np {args.np} tp {args.tp} on {args.backend} produced the golden"
          f"{' from hub id ' + args.hub_id if args.hub_id else ''}"
          f" {len(golden)} ids"
          f" ({preemptions} preemptions)")


def case_cpu_run(args, work):
    """A real CPU benchmark as the demo runs it: tiny model, real ShareGPT prompts, mpirun,
    TP across ranks; every request completes once and the CSV/JSON agree with it."""
    src = args.source
    model = os.path.join(work, "tiny")
    subprocess.run([sys.executable, os.path.join(src, "scripts", "make_tiny_model.py"), model,
                    "--tokenizer", os.path.join(src, "data", "tokenizers", "llama2"),
                    "--seed", "0"], check=True, capture_output=True)
    shared = os.path.join(src, "..", "shared", "data", "sharegpt-perf-1440.json")
    n = 24
    if os.path.exists(shared):  # the sharegpt mode itself, on real 2-turn conversations
        workload = [shared]
    else:  # the demo's workload: random mode over the shipped real prompts
        workload = [os.path.join(src, "data", "sharegpt", "sharegpt-v3-50conv-1kprompt.json"),
                    "--dataset-name", "random", "--random-input-len", "256",
                    "--random-output-len", "32"]
    csv_path = os.path.join(work, "r.csv")
    json_path = os.path.join(work, "r.json")
    cmd = args.mpiexec + ["-np", str(args.np), args.exe] + workload[:1] + [model] + \
        workload[1:] + ["--backend", "cpu", "--tp", str(args.tp), "-n", str(n), "-c", "6",
                        "--csv", csv_path, "--json", json_path] + args.extra
    rc, out, err = run(cmd)
    if rc != 0:
        fail(f"exit code {rc}", out, err)
    if "Profile Throughput" not in out:
        fail("no report on stdout", out, err)
    with open(json_path) as f:
        result = json.load(f)
    m = result["metrics"]
    if not result["complete"] or m["completed"] != n or m["failed"] != 0:
        fail(f"complete={result['complete']} completed={m['completed']} failed={m['failed']}",
             out, err)
    if sum(r["requests"] for r in result["replicas"]) != n:
        fail("per-replica request counts do not add up", out, err)
    # A flag given twice (extra options after --) takes its last value, as with argparse.
    last_c = int(cmd[len(cmd) - 1 - cmd[::-1].index("-c") + 1])
    if result["config"]["concurrency"] != last_c:
        fail(f"config concurrency {result['config']['concurrency']}, want the last -c {last_c}",
             out, err)
    import csv
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 1 or int(rows[0]["completed"]) != n or \
            int(rows[0]["total_output_tokens"]) != m["total_output_tokens"]:
        fail(f"CSV rows {rows}", out, err)
    print(f"ok: {n} requests on the cpu backend at np {args.np} tp {args.tp}, "
          f"{m['output_throughput']:.0f} output tok/s")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def bad_input_cases(args, work):
    """name -> (argv after the executable, the substring the one error line must contain[,
    files that must stay as they were])."""
    src = args.source
    sample = os.path.join(src, "data", "sharegpt", "sharegpt-v3-50conv-1kprompt.json")
    tok = os.path.join(src, "data", "tokenizers", "llama2")
    no_tok = os.path.join(work, "no-tokenizer")
    os.makedirs(no_tok, exist_ok=True)
    corrupt_tok = os.path.join(work, "corrupt-tokenizer")
    os.makedirs(corrupt_tok, exist_ok=True)
    write(os.path.join(corrupt_tok, "tokenizer.model"), "\x00\x01garbage")
    truncated = write(os.path.join(work, "truncated.json"),
                      '[{"conversations": [{"from": "human", "value": "hi"}, {"from": "gp')
    not_json = write(os.path.join(work, "not.json"), "this is not json\n")
    bad_shape = write(os.path.join(work, "shape.json"),
                      '[{"conversations": [{"from": "human", "value": "a"}]},'
                      ' {"conversations": {"from": "human"}}]')
    bad_lines = write(os.path.join(work, "bad.jsonl"),
                      '{"input_ids": [1, 2, 3], "output_len": 4}\n{"input_ids": "x"}\n')
    # A checkpoint cut short: the tiny model's safetensors truncated.
    cut = os.path.join(work, "truncated-model")
    subprocess.run([sys.executable, os.path.join(src, "scripts", "make_tiny_model.py"), cut,
                    "--tokenizer", tok, "--seed", "3", "--vocab", "32000"],
                   check=True, capture_output=True)
    # The same model with a pytorch_model.bin whose pickle would run os.system: refused unread.
    evil = os.path.join(work, "evil-pickle-model")
    shutil.copytree(cut, evil, ignore=shutil.ignore_patterns("*.safetensors"))
    with zipfile.ZipFile(os.path.join(evil, "pytorch_model.bin"), "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.")
    st = os.path.join(cut, "model.safetensors")
    with open(st, "rb") as f:
        head = f.read(50000)
    with open(st, "wb") as f:
        f.write(head)
    # Output files (refused before any work: the foreign CSV stays as it was).
    lmdeploy_csv = write(os.path.join(work, "profile_throughput.csv"),
                         "backend,bs,dataset_name,sharegpt_output_len,random_input_len,"
                         "random_output_len,random_range_ratio,num_prompts,completed,"
                         "total_input_tokens,total_output_tokens,duration,request_throughput\n"
                         "turbomind,256,sharegpt,,1024,1024,0.0,5000,5000,1,1,1.0,1.0\n")
    fifo = os.path.join(work, "fifo.json")
    os.mkfifo(fifo)
    result = os.path.join(work, "result.json")
    alias = os.path.join(work, "alias.jsonl")
    os.symlink("result.json", alias)
    # Token ids the model has no embedding for: a config.json smaller than the ids / tokenizer.
    small_vocab = os.path.join(work, "small-vocab")
    os.makedirs(small_vocab, exist_ok=True)
    write(os.path.join(small_vocab, "config.json"), '{"vocab_size": 512}')
    shutil.copy(os.path.join(tok, "tokenizer.model"), small_vocab)
    big_ids = write(os.path.join(work, "big.jsonl"),
                    '{"input_ids": [1, 2], "output_len": 4}\n{"input_ids": [1, 600], '
                    '"output_len": 4}\n')
    bad_trace = write(os.path.join(work, "trace.csv"),
                      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                      "2023-11-16 18:15:46.6805900,374,44\n"
                      "2023-11-16 18:15:4x.9951690,396,109\n")
    sim = ["--backend", "sim"]
    return {
        "ramp_with_a_rate": ([sample, tok, "--request-rate", "5", "--ramp-up-strategy", "linear",
                              "--ramp-up-start-rps", "1", "--ramp-up-end-rps", "2"] + sim,
                             "--ramp-up-strategy sets the rate: --request-rate must stay inf"),
        "zero_request_rate": ([sample, tok, "--request-rate", "0"] + sim, "--request-rate"),
        "bad_trace_row": ([sample, tok, "--trace", bad_trace] + sim,
                          "trace.csv:3: TIMESTAMP '2023-11-16 18:15:4x.9951690'"),
        "csv_foreign_header": ([sample, tok, "--csv", lmdeploy_csv] + sim, "column 14",
                               [lmdeploy_csv]),
        "json_under_a_file": ([sample, tok, "--json", os.path.join(not_json, "r.json")] + sim,
                              "is not a folder"),
        "requests_out_proc": ([sample, tok, "--requests-out", "/proc/version"] + sim,
                              "--requests-out '/proc/version'"),
        "json_fifo": ([sample, tok, "--json", fifo] + sim, "is a FIFO"),
        "same_file_twice": ([sample, tok, "--json", result, "--requests-out", alias] + sim,
                            "same file"),
        "token_id_out_of_vocab": ([big_ids, small_vocab, "--dataset-name", "token-ids"] + sim,
                                  "line 2: input_ids[1] = 600 is not below vocab_size 512"),
        "tokenizer_over_vocab": ([sample, small_vocab, "--dataset-name", "random", "-n", "4",
                                  "--random-input-len", "32", "--random-output-len", "4"] + sim,
                                 "is larger than vocab_size 512"),
        "missing_dataset": ([os.path.join(work, "nope.json"), tok], "nope.json"),
        "not_json": ([not_json, tok], "not.json"),
        "truncated_json": ([truncated, tok], "truncated.json"),
        "bad_shape": ([bad_shape, tok], "record 1"),
        "bad_token_ids_line": ([bad_lines, tok, "--dataset-name", "token-ids",
                                "--backend", "sim"], "line 2"),
        "no_tokenizer": ([sample, no_tok], "no-tokenizer"),
        "corrupt_tokenizer": ([sample, corrupt_tok], "tokenizer.model"),
        "truncated_checkpoint": ([sample, cut, "--backend", "cpu", "--dataset-name", "random",
                                  "--random-input-len", "32", "--random-output-len", "8",
                                  "-n", "4"], "model.safetensors"),
        "torch_bin_disallowed_global": ([sample, evil, "--backend", "cpu", "--dataset-name",
                                         "random", "--random-input-len", "32",
                                         "--random-output-len", "8", "-n", "4"],
                                        "pytorch_model.bin"),
        "zero_concurrency": ([sample, tok, "-c", "0"], "--concurrency"),
        "unknown_flag": ([sample, tok, "--no-such-flag"], "--no-such-flag"),
        "flag_taken_as_value": ([sample, tok, "--json", "--dry-run"], "--json"),
        "tp_not_dividing": ([sample, tok, "--tp", "3"], "--tp"),
        "hub_id_not_in_cache": ([sample, "nobody/no-such-model"],
                                "models--nobody--no-such-model not found (hub cache from "),
        "hub_id_not_in_cache_hint": ([sample, "nobody/no-such-model", "--revision", "v2"],
                                     "huggingface-cli download nobody/no-such-model --revision v2"),
    }


def case_bad_input(args, work):
    cases = bad_input_cases(args, work)
    names = args.names or sorted(cases)
    for name in names:
        argv, needle, untouched = (cases[name] + ([],))[:3]
        before = {path: open(path).read() for path in untouched}
        cmd = args.mpiexec + ["-np", str(args.np), args.exe] + argv
        if "--csv" not in argv:
            cmd += ["--csv", ""]
        rc, out, err = run(cmd, timeout=120)
        errors = [l for l in err.splitlines() if l.startswith(ERROR_PREFIX)]
        if rc != 2:
            fail(f"{name}: exit code {rc}, want 2", out, err)
        if len(errors) != 1:
            fail(f"{name}: {len(errors)} error lines, want exactly 1", out, err)
        if needle not in errors[0]:
            fail(f"{name}: error line does not name {needle!r}: {errors[0]}", out, err)
        for path, text in before.items():
            if open(path).read() != text:
                fail(f"{name}: {path} was changed", out, err)
        print(f"ok: {name}: {errors[0]}")


def case_schedule(args, work):
    """The open-loop schedule is the coordinator's alone: --dry-run prints the same schedule on
    1, 2 and 4 ranks and any --tp, and its mean gap from t0 is exactly 1 / rate (vLLM's rescale)."""
    src = args.source
    sample = os.path.join(src, "data", "sharegpt", "sharegpt-v3-50conv-1kprompt.json")
    tok = os.path.join(src, "data", "tokenizers", "llama2")
    load = ["--dataset-name", "random", "-n", "300", "--random-input-len", "16",
            "--random-output-len", "4", "--request-rate", "40", "--burstiness", "0.5",
            "--seed", "5", "--dry-run", "--csv", ""]
    seen = {}
    for np_, tp in ((1, 1), (2, 1), (2, 2), (4, 2), (4, 1)):
        rc, out, err = run(args.mpiexec + ["-np", str(np_), args.exe, sample, tok, "--tp", str(tp)]
                           + load, timeout=120)
        if rc != 0:
            fail(f"np {np_} tp {tp}: exit code {rc}", out, err)
        lines = [l.strip() for l in out.splitlines()
                 if l.strip().startswith(("arrivals", "schedule", "#Input", "#Output"))]
        if len(lines) != 4:
            fail(f"np {np_} tp {tp}: no schedule in the dry-run summary", out, err)
        seen[(np_, tp)] = lines
    first = next(iter(seen.values()))
    for key, lines in seen.items():
        if lines != first:
            fail(f"np {key[0]} tp {key[1]}: {lines} != {first}")
    schedule = [l for l in first if l.startswith("schedule")][0]
    if "mean gap 25.000 ms" not in schedule or "span 7.500 s" not in schedule:
        fail("300 requests at 40 req/s: want span 7.500 s and mean gap 25.000 ms: " + schedule)
    print("ok: the same schedule on every world size and tp:", schedule)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["golden", "bad-input", "cpu-run", "schedule"])
    ap.add_argument("--exe", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--mpiexec", required=True, help="mpirun and its flags, ';'-separated")
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--tp", type=int, default=1)
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--names", nargs="*")
    ap.add_argument("--expect-preemption", action="store_true")
    ap.add_argument("--hub-id", help="golden: give MODEL as this hub id of a fake HF cache")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.extra = extra  # more profile_throughput options, after --
    args.mpiexec = [a for a in args.mpiexec.split(";") if a]
    work = tempfile.mkdtemp(prefix="tpbench-e2e-")
    try:
        {"golden": case_golden, "bad-input": case_bad_input, "cpu-run": case_cpu_run,
         "schedule": case_schedule}[args.case](args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
