#!/usr/bin/env bash
# Benchmark (not a test): tokenizer throughput on real ShareGPT text, in MB/s of UTF-8 input,
# on 1 thread and on all hardware threads (and per core), for each tokenizer kind:
# SentencePiece tokenizer.model (Llama 2) on each engine (the "kind" column says which:
# sentencepiece/native-bpe is the project's BPE that load_tokenizer picks; library-by-words and
# library-whole-text are libsentencepiece), tiktoken tokenizer.model (Llama 3), and HF
# tokenizer.json byte-level (Llama 3) and SentencePiece-style (Llama 2), the latter two built
# from the real vocabularies. Texts: data/sharegpt/*.json, plus ../shared/data's
# sharegpt-365conv-multiturn-noid.json and sharegpt-perf-1440.json when present.
# Usage: scripts/bench_tokenize.sh [passes=5] [tokenizer label filter]   (env: BUILD_DIR=build)
#   e.g. scripts/bench_tokenize.sh 3 "llama2 tokenizer.model"   (the three SentencePiece engines)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PASSES=${1:-5}
FILTER=${2:-}
[[ -f "$BUILD_DIR/CMakeCache.txt" ]] ||
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTPBENCH_CUDA=OFF >/dev/null
cmake --build "$BUILD_DIR" --target bench_tokenize >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD_DIR/tests/tokenizer/bench_tokenize" "$PASSES" "$FILTER"
