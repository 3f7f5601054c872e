#!/usr/bin/env python3
"""tpbench's own client against tpbench's own server: `profile_throughput --backend openai`
(N client ranks under mpirun) against `tpbench_serve` (R replicas of one rank, stories260K, cpu
backend, greedy) must generate the same token ids as the in-process run (`--backend cpu`),
request for request.

usage: client_vs_serve_test.py --profile profile_throughput --serve tpbench_serve --source REPO
       --mpiexec "mpirun ..." --clients N [--server-replicas R]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_http_test as serve  # noqa: E402  (its Server and make_model)

REQUESTS = 24


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def records(path):
    with open(path) as f:
        return {r["id"]: r for r in map(json.loads, f)}


def run_profile(a, np, model, dataset, out, extra):
    cmd = a.mpiexec.split() + ["-np", str(np), a.profile, dataset, model,
                               "--dataset-name", "token-ids", "-n", str(REQUESTS), "-c", "4",
                               "--top-k", "1", "--requests-out", out, "--record-tokens"] + extra
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if p.returncode != 0:
        fail("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stderr[-3000:]))
    return records(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--serve", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--server-replicas", type=int, default=1)
    a = ap.parse_args()
    serve.ARGS = argparse.Namespace(source=a.source, mpiexec=a.mpiexec, exe=a.serve, np=1, tp=1)

    work = tempfile.mkdtemp(prefix="tpbench-client-serve-")
    model = serve.make_model(work)
    rng = random.Random(5)
    dataset = os.path.join(work, "ds.jsonl")
    with open(dataset, "w") as f:
        for _ in range(REQUESTS):
            prompt = [1] + [rng.randint(3, 511) for _ in range(rng.randint(3, 40))]
            f.write(json.dumps({"input_ids": prompt, "output_len": rng.randint(1, 24)}) + "\n")

    local = run_profile(a, 1, model, dataset, os.path.join(work, "local.jsonl"),
                        ["--backend", "cpu"])
    server = serve.Server(model, ["--backend", "cpu"], np=a.server_replicas, tp=1)
    try:
        remote = run_profile(a, a.clients, model, dataset, os.path.join(work, "remote.jsonl"),
                             ["--backend", "openai", "--base-url", server.url(""),
                              "--prompt-format", "ids",
                              "--extra-body", '{"return_token_ids": true}'])
    finally:
        server.kill()

    if sorted(local) != list(range(REQUESTS)) or sorted(remote) != list(range(REQUESTS)):
        fail("missing records: local %d, remote %d" % (len(local), len(remote)))
    replicas = {r["replica"] for r in remote.values()}
    if len(replicas) != a.clients:
        fail("requests ran on client replicas %s, expected %d" % (sorted(replicas), a.clients))
    for i in range(REQUESTS):
        want, got = local[i], remote[i]
        if not want["ok"] or not got["ok"]:
            fail("request %d failed: local %r, remote %r" % (i, want.get("error"), got.get("error")))
        if got["token_ids"] != want["token_ids"]:
            fail("request %d: server gave %s, in-process %s" % (i, got["token_ids"], want["token_ids"]))
        if got["output_tokens"] != want["output_tokens"] or got["prompt_tokens"] != want["prompt_tokens"]:
            fail("request %d: tokens (prompt, output) remote (%d, %d), local (%d, %d)" %
                 (i, got["prompt_tokens"], got["output_tokens"], want["prompt_tokens"],
                  want["output_tokens"]))
    print("OK: %d requests over %d client rank(s) and %d server replica(s), the same ids as "
          "in-process" % (REQUESTS, a.clients, a.server_replicas))


if __name__ == "__main__":
    main()
