#!/usr/bin/env bash
# tpbench's `--backend openai` client against llama.cpp's server (llama-server), on a CPU, with
# stories260K: the check docs/PERFORMANCE.md "Against llama.cpp's server" reports. A one-off
# check of a foreign server, not a test (CI has no llama.cpp): it skips, exit 0, when the
# python or the server binary is missing.
#
# usage: scripts/check_llamacpp_server.sh PYTHON LLAMA_SERVER [BUILD_DIR] [OUT_DIR]
#   PYTHON        a python with numpy and llama.cpp's `gguf` package (e.g. VENV/bin/python)
#   LLAMA_SERVER  llama.cpp's llama-server binary
#   BUILD_DIR     tpbench's build folder with profile_throughput (default build)
#   OUT_DIR       where the GGUF, the model folder, logs and reports go (default a temp dir)
#
# Steps: stories260K -> GGUF (scripts/stories260k_to_gguf.py); llama-server on a free loopback
# port; greedy from BOS must give data/models/stories260K/stories260K-greedy-from-bos.txt; then
# profile_throughput in closed and open loop, 1 and 2 client ranks, both endpoints, text and id
# prompts: every request must succeed with 0 output-token mismatches and exactly its output
# length; last, the server is killed mid-run and the run must end with the failures named.
set -euo pipefail

PY=${1:-}
SERVER=${2:-}
BUILD=${3:-build}
if [[ -z "$PY" || -z "$SERVER" ]]; then
  sed -n '7,11p' "$0" >&2
  exit 2
fi
if [[ ! -x "$PY" ]] || ! "$PY" -c 'import gguf, numpy' 2>/dev/null; then
  echo "SKIP: $PY is not a python with numpy and gguf"
  exit 0
fi
if [[ ! -x "$SERVER" ]]; then
  echo "SKIP: no llama-server at $SERVER"
  exit 0
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
PROFILE="$BUILD/profile_throughput"
[[ -x "$PROFILE" ]] || { echo "no $PROFILE: build the profile_throughput target" >&2; exit 2; }
OUT=${4:-$(mktemp -d /tmp/tpbench-llamacpp.XXXXXX)}
mkdir -p "$OUT"
DATA="$REPO/data/models/stories260K"
MPI=(mpirun -np)
[[ $(id -u) == 0 ]] && MPI=(mpirun --allow-run-as-root --oversubscribe -np)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

echo "== GGUF and model folder in $OUT"
"$PY" "$REPO/scripts/stories260k_to_gguf.py" "$DATA/stories260K.bin" \
  "$DATA/stories260K-tok512.bin" "$OUT/stories260K.gguf"
python3 "$REPO/scripts/convert_llama2c.py" "$DATA/stories260K.bin" "$OUT/stories260K"
python3 "$REPO/scripts/llama2c_tokenizer_model.py" "$DATA/stories260K-tok512.bin" \
  "$OUT/stories260K/tokenizer.model"
python3 - "$OUT/ds.jsonl" <<'EOF'
import json, random, sys
rng = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"input_ids": [1], "output_len": 64}) + "\n")  # greedy from BOS
    for _ in range(47):
        prompt = [1] + [rng.randint(3, 511) for _ in range(rng.randint(3, 40))]
        f.write(json.dumps({"input_ids": prompt, "output_len": rng.randint(8, 64)}) + "\n")
EOF

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
start_server() {
  "$SERVER" -m "$OUT/stories260K.gguf" --host 127.0.0.1 --port "$PORT" -c 2048 -np 4 -t 1 \
    --alias stories260K >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -sf "$URL/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL: llama-server did not come up (see $OUT/server.log)"
  exit 1
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT
start_server
"$SERVER" --version 2>&1 | head -1

echo "== greedy from BOS (llama.cpp's own /completion, return_tokens)"
python3 - "$URL" "$DATA/stories260K-greedy-from-bos.txt" <<'EOF'
import json, sys, urllib.request
golden = [int(t) for t in open(sys.argv[2]).read().split()]
body = {"prompt": [1], "n_predict": len(golden), "temperature": 0, "top_k": 1,
        "ignore_eos": True, "return_tokens": True, "cache_prompt": False}
req = urllib.request.Request(sys.argv[1] + "/completion", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
got = json.load(urllib.request.urlopen(req))["tokens"]
bad = next((i for i, (a, b) in enumerate(zip(got, golden)) if a != b), None)
if len(got) != len(golden) or bad is not None:
    sys.exit("FAIL: greedy ids differ from the golden ones at %s" % bad)
print("OK: %d greedy ids equal the golden ones" % len(golden))
EOF

FAILED=0
run_case() {  # name np [profile_throughput options]
  local name=$1 np=$2
  shift 2
  "${MPI[@]}" "$np" "$PROFILE" "$OUT/ds.jsonl" "$OUT/stories260K" --dataset-name token-ids \
    -n 48 --backend openai --base-url "$URL" --csv= --json "$OUT/$name.json" \
    --requests-out "$OUT/$name.jsonl" "$@" >"$OUT/$name.out" 2>&1 || {
    echo "FAIL $name: exit $? (see $OUT/$name.out)"
    FAILED=1
    return
  }
  python3 - "$name" "$OUT/$name.json" "$OUT/$name.jsonl" "$OUT/ds.jsonl" <<'EOF' || FAILED=1
import json, sys
name, report, records, ds = sys.argv[1:]
want = [json.loads(l)["output_len"] for l in open(ds)]
rs = [json.loads(l) for l in open(records)]
m = json.load(open(report))["metrics"]
def ms(key, q="p50"):
    return 1000 * m[key][q]
bad = [r["id"] for r in rs if not r["ok"] or r["output_tokens"] != want[r["id"]]]
mism = m["output_token_mismatches"]
ok = len(rs) == 48 and not bad and mism == 0
print("%s %-26s ok %d/48  mismatches %d  TTFT p50 %.1f p99 %.1f ms  ITL p50 %.2f p99 %.2f ms  "
      "E2E p50 %.1f ms" % ("OK  " if ok else "FAIL", name, sum(r["ok"] for r in rs), mism,
                           ms("ttft"), ms("ttft", "p99"), ms("itl"), ms("itl", "p99"), ms("e2e")))
sys.exit(0 if ok else 1)
EOF
}

echo "== profile_throughput --backend openai against $URL"
for np in 1 2; do
  run_case "np${np}_c4_cmpl_text" $np -c 4
  run_case "np${np}_c4_cmpl_ids" $np -c 4 --prompt-format ids
  run_case "np${np}_c4_chat" $np -c 4 --endpoint /v1/chat/completions
  run_case "np${np}_rate50_cmpl_text" $np --request-rate 50
  run_case "np${np}_rate50_chat" $np --request-rate 50 --endpoint /v1/chat/completions
done

python3 - "$OUT/long.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(400):
        f.write(json.dumps({"input_ids": [1, 403, 407], "output_len": 400}) + "\n")
EOF
# SIGTERM: llama-server stops generating but keeps its streams open and still accepts
# connections without answering them (it exits only once no client is connected), so every
# request then lasts --request-timeout: hence only 12 requests. SIGKILL: streams cut at once.
kill_case() {  # name signal requests [profile_throughput options]
  local name=$1 sig=$2 n=$3
  shift 3
  echo "== the server killed with SIG$sig mid-run (-c 4, $n requests of 400 tokens; $*)"
  start_server
  "${MPI[@]}" 1 "$PROFILE" "$OUT/long.jsonl" "$OUT/stories260K" --dataset-name token-ids \
    -n "$n" -c 4 --backend openai --base-url "$URL" --csv= --requests-out "$OUT/$name.jsonl" \
    "$@" >"$OUT/$name.out" 2>&1 &
  local client=$! rc
  sleep 1.5
  kill -"$sig" "$SERVER_PID"
  set +e
  timeout 60 tail --pid=$client -f /dev/null
  kill -0 $client 2>/dev/null && echo "FAIL $name: the run still going 60 s after the kill" &&
    kill $client
  wait $client
  rc=$?
  set -e
  stop_server
  python3 - "$OUT/$name.jsonl" "$rc" "$n" <<'EOF' || FAILED=1
import collections, json, re, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
failed = [r for r in rs if not r["ok"]]
reasons = collections.Counter(re.sub(r"after \d+ ms", "after N ms", r["error"]) for r in failed)
print("exit %s, %d records: %d ok, %d failed" % (sys.argv[2], len(rs), len(rs) - len(failed),
                                                 len(failed)))
for reason, n in reasons.most_common(4):
    print("  %d x %s" % (n, reason))
named = failed and all("127.0.0.1" in r["error"] for r in failed)
sys.exit(0 if sys.argv[2] == "0" and len(rs) == int(sys.argv[3]) and named else 1)
EOF
}
stop_server
kill_case killed_term TERM 12 --request-timeout 5
kill_case killed_kill KILL 400

[[ $FAILED == 0 ]] && echo "OK: every case passed (reports in $OUT)" || echo "FAIL (reports in $OUT)"
exit $FAILED
