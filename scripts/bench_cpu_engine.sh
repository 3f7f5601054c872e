#!/usr/bin/env bash
# Prefill and decode tokens/s of the CPU forward pass (CpuModelRunner, fp32, OpenBLAS + OpenMP
# on all cores) for the demo tiny model (make_tiny_model.py defaults) and stories260K, at batch
# 1 and 32: one plan prefilling PROMPT tokens of each sequence, then DECODE one-token steps.
# usage: scripts/bench_cpu_engine.sh [PROMPT=128] [DECODE=64]   (BUILD_DIR defaults to build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PROMPT=${1:-128}
DECODE=${2:-64}
cmake --build "$BUILD_DIR" --target bench_cpu_runner >/dev/null
mkdir -p "$BUILD_DIR/models"
TINY="$BUILD_DIR/models/tiny-llama2"
STORIES="$BUILD_DIR/models/stories260K"
[ -f "$TINY/config.json" ] || python3 scripts/make_tiny_model.py "$TINY" --seed 0
[ -f "$STORIES/config.json" ] ||
  python3 scripts/convert_llama2c.py data/models/stories260K/stories260K.bin "$STORIES"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for model in "$TINY" "$STORIES"; do
  for batch in 1 32; do
    "$BUILD_DIR/tests/engine/cpu/bench_cpu_runner" "$model" "$batch" "$PROMPT" "$DECODE"
  done
done
