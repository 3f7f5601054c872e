#!/usr/bin/env bash
# The GPU check for the lent H100 (../shared/device/README.md), in two halves:
#   scripts/device_check.sh --pack   HERE: builds the GPU tests, the benchmark binaries and
#                                     profile_throughput (sm_90) in BUILD_DIR (build-cuda), and
#                                     packs them, their missing libraries, the Llama 2 tokenizer
#                                     and the benchmark dataset into .devkit/ (git-ignored).
#   scripts/device_check.sh          THERE (run with carry [".devkit"]): runs the GPU tests and
#                                     the engine benchmark in about five minutes, writes logs
#                                     under $OUT (or out/device_check) and prints a short table.
# Nothing is built on the device.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-cuda}
KIT=.devkit

if [ "${1:-}" = "--pack" ]; then
  set -e
  DATA_DIR=${DATA_DIR:-../shared/data}
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTPBENCH_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90
  fi
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target profile_throughput test_cuda_kernels \
    test_cuda_host test_cuda_sampling test_cuda_runner test_cuda_engine bench_cuda_runner
  rm -rf "$KIT"
  bash ../shared/device/pack.sh "$KIT" "$BUILD_DIR/profile_throughput" \
    "$BUILD_DIR"/tests/gpu/{test_cuda_kernels,test_cuda_host,test_cuda_sampling,test_cuda_runner,test_cuda_engine,bench_cuda_runner}
  mkdir -p "$KIT/data"
  cp "$DATA_DIR/sharegpt-perf-1440.json" "$DATA_DIR/llama2-tokenizer.model" "$KIT/data/"
  # Where the test binaries look for the repository and their build dir (baked in at build).
  echo "$(cd "$BUILD_DIR" && pwd)" > "$KIT/binary_dir"
  echo "$PWD" > "$KIT/source_dir"
  # The call carries at most 64 MiB with the working tree: xz the big libraries (OpenBLAS's
  # 36 MB becomes 4); the run unpacks them.
  find "$KIT/lib" -type f -size +2M -exec xz -9 -T0 {} +
  du -sh "$KIT"
  exit 0
fi

for packed in "$KIT"/lib/*.xz; do
  [ -e "$packed" ] && xz -d -f "$packed"
done

export LD_LIBRARY_PATH=$PWD/$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
LOG=${OUT:-out/device_check}
mkdir -p "$LOG"
BIN=$KIT/bin
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader | tee "$LOG/gpu.txt"

# The tests find data/ and scripts/ at the source dir baked in at build time and make their
# test models under the baked build dir: point those paths at this tree when they are missing.
src=$(cat "$KIT/source_dir")
bin_dir=$(cat "$KIT/binary_dir")
if [ ! -e "$src" ]; then mkdir -p "$(dirname "$src")" && ln -s "$PWD" "$src"; fi
mkdir -p "$bin_dir" 2>/dev/null || true

declare -A status
run_test() {  # name timeout_s
  local name=$1 limit=$2 start=$SECONDS
  timeout "$limit" "$BIN/$name" --gtest_color=no >"$LOG/$name.log" 2>&1
  local rc=$?
  local passed failed skipped
  passed=$(grep -c '^\[       OK \]' "$LOG/$name.log")
  failed=$(grep -c '^\[  FAILED  \].*(' "$LOG/$name.log")
  skipped=$(grep -c '^\[  SKIPPED \].*(' "$LOG/$name.log")
  status[$name]="rc $rc, $passed passed, $failed failed, $skipped skipped, $((SECONDS - start)) s"
  grep -E '^\[  FAILED  \]|agreement|equal to the cpu|bf16 logits' "$LOG/$name.log" | head -20
}
run_test test_cuda_host 60
run_test test_cuda_kernels 90
run_test test_cuda_sampling 60
run_test test_cuda_runner 120
run_test test_cuda_engine 120

# Two ranks on the one GPU as two replicas (TP 1 each) through the whole tool: stories260K fp32
# greedy on the GPU must give the golden ids.
start=$SECONDS
timeout 180 python3 tests/e2e/run_e2e_case.py golden --exe "$BIN/profile_throughput" --source . \
  "--mpiexec=mpirun;--allow-run-as-root;--oversubscribe" --np 2 --tp 1 --backend cuda -- \
  --dtype float32 >"$LOG/e2e_two_replicas.log" 2>&1
e2e_rc=$?
e2e_s=$((SECONDS - start))
tail -3 "$LOG/e2e_two_replicas.log"

start=$SECONDS
PROFILE_THROUGHPUT=$BIN/profile_throughput BENCH_CUDA_RUNNER=$BIN/bench_cuda_runner \
  DATA_DIR=$KIT/data OUT_DIR=$LOG/bench TIMEOUT_S=${TIMEOUT_S:-180} \
  timeout 300 bash scripts/bench_engine.sh >"$LOG/bench_engine.log" 2>&1
bench_rc=$?
bench_s=$((SECONDS - start))

echo
echo "================ device check ($(head -1 "$LOG/gpu.txt" | cut -d, -f1)) ================"
for name in test_cuda_host test_cuda_kernels test_cuda_sampling test_cuda_runner test_cuda_engine; do
  printf '%-20s %s\n' "$name" "${status[$name]}"
done
printf '%-20s rc %s, %s s\n' "e2e two replicas" "$e2e_rc" "$e2e_s"
printf '%-20s rc %s, %s s\n' "bench_engine.sh" "$bench_rc" "$bench_s"
[ -f "$LOG/bench/summary.txt" ] && sed 's/^/  /' "$LOG/bench/summary.txt"
[ -f "$LOG/bench/decode_steps.txt" ] && grep '^decode_step' "$LOG/bench/decode_steps.txt" | sed 's/^/  /'
true
