#!/usr/bin/env bash
# The coordinator's record ingest: synthetic leaders PUSH batched RequestRecords over real TCP
# sockets (CURVE, as in a run); one thread receives, decodes and stores them as the coordinator
# does. Goal: >= 1,000,000 records/s on one core. Extra arguments go to every case.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target tpbench_bench_collector >/dev/null
BIN="$BUILD_DIR/coordinator/orchestrator/tpbench_bench_collector"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores"
echo "## records without per-token times (--no-stream-output shape)"
"$BIN" --records 2000000 --pushers 2 "$@"
echo "## records without per-token times, no CURVE"
"$BIN" --records 2000000 --pushers 2 --plain "$@"
echo "## records with 64 per-token times each (streaming, ITL)"
"$BIN" --records 500000 --pushers 2 --token-times 64 "$@"
