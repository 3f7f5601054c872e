#!/usr/bin/env bash
# The main job on its embedded default: sets up, builds, makes the tiny demo model and runs a
# real CPU benchmark of it on real ShareGPT prompts, 2 ranks as one tensor-parallel replica.
# Extra arguments are passed to profile_throughput (e.g. -n 20 -c 8, --dry-run, --backend sim).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
MODEL_DIR="$BUILD_DIR/models/tiny-llama2"
if [ ! -f "$MODEL_DIR/config.json" ]; then
  python3 scripts/make_tiny_model.py "$MODEL_DIR" --tokenizer data/tokenizers/llama2 --seed 0
fi
MPI_FLAGS=(--oversubscribe)
if [ "$(id -u)" -eq 0 ]; then MPI_FLAGS+=(--allow-run-as-root); fi
mkdir -p out
exec mpirun "${MPI_FLAGS[@]}" -np 2 "$BUILD_DIR/profile_throughput" \
  data/sharegpt/sharegpt-v3-50conv-1kprompt.json "$MODEL_DIR" \
  --dataset-name random --random-input-len 512 --random-output-len 128 --random-range-ratio 0.25 \
  --backend cpu --tp 2 -n 50 -c 8 --csv out/demo.csv --json out/demo.json \
  --requests-out out/demo-requests.jsonl "$@"
