#!/usr/bin/env bash
# The sim's calibrated step-time model, checked: a CPU-engine run of workload A writes its step
# profile (--step-profile-out); a CPU-engine run of workload B (another seed, lengths and
# concurrency) is measured; --backend sim --sim-profile predicts B from A's profile. Prints
# output tok/s and TTFT / TPOT P50, measured vs predicted (docs/PERFORMANCE.md).
# The model: dummy fp32 weights from a config.json written here (4 layers, hidden 256, vocab
# 32000). Env: NP (ranks, default 1), TP (default 1), THREADS (OpenMP threads per rank,
# default 1: fewer threads suffer less from other load on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
NP=${NP:-1}
TP=${TP:-1}
cores=$(getconf _NPROCESSORS_ONLN)
export OMP_NUM_THREADS=${THREADS:-1}
cmake --build "$BUILD_DIR" --target profile_throughput >/dev/null
exe="$BUILD_DIR/profile_throughput"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/config.json" <<'JSON'
{"model_type": "llama", "hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
 "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 32000,
 "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "torch_dtype": "float32"}
JSON
python3 - "$tmp" <<'PY'
import json, random, sys
def make(path, seed, n, plo, phi, olo, ohi):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n):
            p, o = rng.randint(plo, phi), rng.randint(olo, ohi)
            f.write(json.dumps({"input_ids": [rng.randint(3, 31999) for _ in range(p)],
                                "output_len": o}) + "\n")
make(sys.argv[1] + "/A.jsonl", 1, 150, 32, 384, 16, 128)  # calibration
make(sys.argv[1] + "/B.jsonl", 2, 80, 64, 256, 32, 192)   # prediction
PY
MPI_FLAGS=(--oversubscribe -x OMP_NUM_THREADS)
if [ "$(id -u)" -eq 0 ]; then MPI_FLAGS+=(--allow-run-as-root); fi
run() {  # name dataset concurrency [options]
  local name=$1 ds=$2 c=$3
  shift 3
  mpirun "${MPI_FLAGS[@]}" -np "$NP" "$exe" "$tmp/$ds.jsonl" "$tmp" --dataset-name token-ids \
    --tp "$TP" -c "$c" --csv "" --json "$tmp/$name.json" "$@" >"$tmp/$name.txt"
}
run cpuA A 16 -n 150 --backend cpu --dummy-weights --step-profile-out "$tmp/profile.csv"
profiles=$(ls "$tmp"/profile.csv* | paste -sd,)
run cpuB B 8 -n 80 --backend cpu --dummy-weights
run simB B 8 -n 80 --backend sim --sim-profile "$profiles"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $cores cores, np $NP, tp $TP, $OMP_NUM_THREADS threads/rank; A: 150 requests -c 16, B: 80 requests -c 8"
python3 - "$tmp/cpuB.json" "$tmp/simB.json" <<'PY'
import json, sys
def pick(path):
    m = json.load(open(path))["metrics"]
    return {"output tok/s": m["output_throughput"], "TTFT P50 (ms)": m["ttft"]["p50"] * 1e3,
            "TPOT P50 (ms)": m["tpot"]["p50"] * 1e3}
measured, predicted = pick(sys.argv[1]), pick(sys.argv[2])
print("sim engine: " + json.load(open(sys.argv[2]))["replicas"][0]["engine"])
print("| B | measured (cpu) | predicted (sim) | error |\n|---|---|---|---|")
for k in measured:
    print("| %s | %.2f | %.2f | %+.1f %% |" % (k, measured[k], predicted[k],
                                           100 * (predicted[k] / measured[k] - 1)))
PY
