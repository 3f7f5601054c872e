#!/usr/bin/env python3
"""One MPI case of profile_throughput --backend openai against fake_openai_server.py.

Starts the fake server, writes a token-ids dataset, runs the job under mpiexec with a hard time
limit and OPENAI_API_KEY set, and checks what the case expects:
  complete    exit 0, every request once and ok, token times consistent with each record
              (first_token <= token_ns <= finish, ascending, as many as the client counted),
              the JSON's mismatch count equal to the records' own, the request bodies as sent;
  failures    the run ends (exit 0) within the limit with at least --min-failed failed requests
              whose reasons match --reason-regex;
  bad-input   exit 2 with one stderr line matching --stderr-regex.
In every case the API key appears in no output file and in neither stdout nor stderr.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

API_KEY = "sk-tpbench-test-9f8e7d6c5b4a"
WARMUP_PROMPT = "Hello, my name is"  # engine/openai/openai_engine.cpp's warm-up prompt


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def start_server(a, log):
    server = subprocess.Popen([sys.executable, a.server, "--log", log, "--model", "fake-model"],
                              stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    return server, port


def read_jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def check_records(a, records, lengths, metrics):
    ids = sorted(r["id"] for r in records)
    if ids != list(range(a.requests)):
        fail("requests reported: %d, expected each of %d once" % (len(ids), a.requests))
    mismatches = 0
    length_mismatches = 0
    for r in records:
        if not r["ok"]:
            fail("request %d failed: %s" % (r["id"], r["error"]))
        t = r["token_ns"]
        if "client_output_tokens" not in r:
            fail("request %d has no client_output_tokens" % r["id"])
        if len(t) != r["client_output_tokens"]:
            fail("request %d: %d token times for %d client-counted tokens" %
                 (r["id"], len(t), r["client_output_tokens"]))
        if not (r["submit_ns"] <= r["first_token_ns"] == t[0] and t[-1] == r["finish_ns"]):
            fail("request %d: submit %d, first %d, token_ns[0] %d, last %d, finish %d" %
                 (r["id"], r["submit_ns"], r["first_token_ns"], t[0], t[-1], r["finish_ns"]))
        if any(x > y for x, y in zip(t, t[1:])):
            fail("request %d: token times not ascending" % r["id"])
        if r["client_output_tokens"] != r["output_tokens"]:
            mismatches += 1
        asked = r.get("requested_output_tokens")
        if not isinstance(asked, int) or asked < 1:
            fail("request %d: requested_output_tokens %r" % (r["id"], asked))
        if not a.sharegpt and asked != lengths[r["id"]]:  # ShareGPT's lengths are the tokenizer's
            fail("request %d: requested_output_tokens %d, the workload asked %d" %
                 (r["id"], asked, lengths[r["id"]]))
        if r["output_tokens"] != asked:
            length_mismatches += 1
        if a.exact_tokens and r["output_tokens"] != lengths[r["id"]] + a.skew:
            fail("request %d: output_tokens %d, expected %d" %
                 (r["id"], r["output_tokens"], lengths[r["id"]] + a.skew))
        if a.chunk > 1 and len(t) >= 2 * a.chunk:
            # the first chunk's tokens all at its arrival; a later chunk's gap split evenly
            if len(set(t[:a.chunk])) != 1:
                fail("request %d: first chunk's tokens at different times %s" %
                     (r["id"], t[:a.chunk]))
            gaps = [t[a.chunk + j] - t[a.chunk + j - 1] for j in range(a.chunk)]
            if max(gaps) - min(gaps) > 1:
                fail("request %d: second chunk's gap not split evenly: %s" % (r["id"], gaps))
        if a.min_ttft_ms and r["first_token_ns"] - r["submit_ns"] < a.min_ttft_ms * 1e6:
            fail("request %d: TTFT %.1f ms below the server's %.1f ms" %
                 (r["id"], (r["first_token_ns"] - r["submit_ns"]) / 1e6, a.min_ttft_ms))
    if metrics["output_token_mismatches"] != mismatches:
        fail("JSON output_token_mismatches %d, records say %d" %
             (metrics["output_token_mismatches"], mismatches))
    if metrics["output_length_mismatches"] != length_mismatches:
        fail("JSON output_length_mismatches %d, records say %d" %
             (metrics["output_length_mismatches"], length_mismatches))
    if a.exact_tokens and length_mismatches != (len(records) if a.skew else 0):
        fail("%d outputs not of the asked length with --skew %d" % (length_mismatches, a.skew))
    if a.expect_mismatches is not None and mismatches != a.expect_mismatches:
        fail("%d mismatches, expected %d" % (mismatches, a.expect_mismatches))
    print("records ok: %d requests, %d mismatches, %d not of the asked length" %
          (len(records), mismatches, length_mismatches))


def prompt_of(body):
    return body["messages"][0]["content"] if "messages" in body else body["prompt"]


def check_prompts(a, bodies, records, prompt_lens):
    """Text prompts are ShareGPT's own text; prompt_tokens is the server's usage when it sent
    one (the fake counts words, or ids), else the workload's count."""
    if a.sharegpt:
        texts = set()
        for record in json.load(open(a.sharegpt)):
            turns = record.get("conversations") or []
            if len(turns) >= 2:
                texts.add(turns[0]["value"])
        for body in bodies:
            if prompt_of(body) not in texts:
                fail("a prompt is not a ShareGPT conversation's text: %r" % prompt_of(body)[:80])
    if "usage=0" in a.url_options:
        want = sum(prompt_lens) if prompt_lens else None
    else:
        want = sum(len(p) if isinstance(p, list) else len(p.split())
                   for p in map(prompt_of, bodies))
    got = sum(r["prompt_tokens"] for r in records)
    if want is not None and got != want:
        fail("records' prompt tokens sum to %d, expected %d" % (got, want))
    print("prompts ok: %d prompt tokens" % got)


def check_bodies(a, log, records, prompt_lens):
    sent = read_jsonl(log)
    warmups = [s for s in sent if WARMUP_PROMPT in s["body"]]
    if len(warmups) != a.warmup * a.np:
        fail("%d warm-up requests reached the server, expected %d" % (len(warmups), a.warmup * a.np))
    if len(sent) != a.requests + len(warmups):
        fail("the server saw %d generation requests, expected %d" % (len(sent), a.requests))
    for s in sent:
        if s in warmups:
            continue
        if s["auth"] != "Bearer " + API_KEY:
            fail("a request came without the API key: Authorization %r" % s["auth"])
        body = json.loads(s["body"])
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if body.get("ignore_eos") is not True or body.get("stream") is not True:
            fail("body lacks ignore_eos / stream: %s" % s["body"][:300])
        if "min_tokens" not in a.omit and body.get("min_tokens") != limit:
            fail("min_tokens %r != max tokens %r" % (body.get("min_tokens"), limit))
        for field in a.omit:
            if field in body:
                fail("--omit-field %s still sent" % field)
        for key, value in json.loads(a.body_has or "{}").items():
            if body.get(key) != value:
                fail("body[%s] = %r, expected %r" % (key, body.get(key), value))
    check_prompts(a, [json.loads(s["body"]) for s in sent if s not in warmups], records,
                  prompt_lens)
    print("bodies ok: %d requests with the key, ignore_eos, min_tokens" % len(sent))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--server", required=True, help="fake_openai_server.py")
    ap.add_argument("--model", required=True, help="a tokenizer folder (MODEL)")
    ap.add_argument("--mpiexec", required=True, help="mpiexec and its options, ';'-separated")
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--url-options", default="", help="fake server options: a/b=1/c=2")
    ap.add_argument("--servers", type=int, default=1, help="base URLs (one fake server each)")
    ap.add_argument("--sharegpt", default="", help="run this ShareGPT file instead of token ids")
    ap.add_argument("--urls", default="", help="--base-url instead of the fake servers'")
    ap.add_argument("--expect", choices=["complete", "failures", "bad-input"], default="complete")
    ap.add_argument("--exact-tokens", action="store_true",
                    help="output_tokens must be each request's output_len (+ --skew)")
    ap.add_argument("--skew", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=1, help="check the even split of K-token chunks")
    ap.add_argument("--min-ttft-ms", type=float, default=0)
    ap.add_argument("--expect-mismatches", type=int)
    ap.add_argument("--omit", action="append", default=[])
    ap.add_argument("--warmup", type=int, default=0, help="pass --warmup N; check N per rank")
    ap.add_argument("--body-has", default="", help="JSON object every body must contain")
    ap.add_argument("--min-failed", type=int, default=1)
    ap.add_argument("--reason-regex", default="")
    ap.add_argument("--stderr-regex", default="")
    ap.add_argument("--stdout-regex", default="")
    ap.add_argument("--limit-s", type=float, default=60)
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    extra = a.args[1:] if a.args[:1] == ["--"] else a.args

    tmp = tempfile.mkdtemp(prefix="tpbench_openai_")
    log = os.path.join(tmp, "server.jsonl")
    servers = [start_server(a, log) for _ in range(a.servers)]
    try:
        rng = random.Random(7)
        dataset = os.path.join(tmp, "prompts.jsonl")
        lengths, prompt_lens = [], []
        with open(dataset, "w") as f:
            for _ in range(a.requests):
                n = rng.randint(4, 24)
                lengths.append(n)
                ids = [1] + [rng.randint(300, 3000) for _ in range(rng.randint(4, 40))]
                prompt_lens.append(len(ids))
                f.write(json.dumps({"input_ids": ids, "output_len": n}) + "\n")
        mode = ["--dataset-name", "token-ids"]
        if a.sharegpt:
            # ShareGPT records of the source's shorter first turns, each with a short answer
            short = [r["conversations"][0]["value"] for r in json.load(open(a.sharegpt))
                     if r.get("conversations") and len(r["conversations"][0]["value"]) < 1500]
            dataset = os.path.join(tmp, "sharegpt.json")
            with open(dataset, "w") as f:
                json.dump([{"conversations": [{"from": "human", "value": text},
                                              {"from": "gpt", "value": "Sure, here it is: a b c"}]}
                           for text in short], f)
            a.sharegpt = dataset
            mode, prompt_lens = ["--dataset-name", "sharegpt"], []
        paths = {k: os.path.join(tmp, "out." + k) for k in ("json", "csv", "jsonl")}
        prefix = "/" + a.url_options if a.url_options else ""
        urls = a.urls or ",".join("http://127.0.0.1:%d%s" % (port, prefix) for _, port in servers)
        cmd = [x for x in a.mpiexec.split(";") if x] + ["-np", str(a.np), "-x", "OPENAI_API_KEY"]
        cmd += [a.exe, dataset, a.model] + mode + ["--backend", "openai",
                "--base-url", urls, "-n", str(a.requests), "--json", paths["json"],
                "--csv", paths["csv"], "--requests-out", paths["jsonl"]]
        for field in a.omit:
            cmd += ["--omit-field", field]
        if a.warmup:
            cmd += ["--warmup", str(a.warmup)]
        cmd += extra
        print(" ".join(cmd))
        env = dict(os.environ, OPENAI_API_KEY=API_KEY)
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=a.limit_s)
        except subprocess.TimeoutExpired:
            fail("the job did not end within %.0f s" % a.limit_s)
        print("--- stdout ---\n" + p.stdout[-3000:])
        print("--- stderr ---\n" + p.stderr[-3000:])
        for name, text in [("stdout", p.stdout), ("stderr", p.stderr)] + [
                (path, open(path, errors="replace").read()) for path in paths.values()
                if os.path.exists(path)]:
            if API_KEY in text:
                fail("the API key appears in " + name)
        if a.stdout_regex and not re.search(a.stdout_regex, p.stdout):
            fail("stdout does not match %r" % a.stdout_regex)

        if a.expect == "bad-input":
            if p.returncode != 2:
                fail("exit code %d, expected 2" % p.returncode)
            lines = [l for l in p.stderr.splitlines() if re.search(a.stderr_regex, l)]
            if not lines:
                fail("no stderr line matches %r" % a.stderr_regex)
            print("bad input refused: " + lines[0])
            return 0
        if p.returncode != 0:
            fail("exit code %d" % p.returncode)
        report = json.load(open(paths["json"]))
        metrics = report["metrics"]
        records = read_jsonl(paths["jsonl"])
        if a.expect == "failures":
            failed = [r for r in records if not r["ok"]]
            if len(failed) < a.min_failed or metrics["failed"] != len(failed):
                fail("%d failed records (JSON says %d), expected at least %d" %
                     (len(failed), metrics["failed"], a.min_failed))
            for r in failed:
                if not re.search(a.reason_regex, r["error"]):
                    fail("request %d's reason %r does not match %r" %
                         (r["id"], r["error"], a.reason_regex))
            if len(records) != a.requests:
                fail("%d records for %d requests" % (len(records), a.requests))
            print("failures ok: %d failed, e.g. %s" % (len(failed), failed[0]["error"]))
            return 0
        check_records(a, records, lengths, metrics)
        check_bodies(a, log, records, prompt_lens)
        if report["environment"].get("servers") != urls.split(","):
            fail("the JSON's servers %r are not the base URLs" % report["environment"].get("servers"))
        return 0
    finally:
        for server, _ in servers:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
