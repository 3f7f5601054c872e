#!/usr/bin/env bash
# The GPU check for the lent GPU machine (an H100 or H200), in two halves:
#   scripts/device_check.sh --pack   HERE: builds the GPU tests, the benchmark binaries,
#                                     profile_throughput and tpbench_floor (sm_90) in BUILD_DIR
#                                     (build-cuda), and packs them, the libraries the GPU machine
#                                     lacks (scripts/pack_devkit.sh), the Llama 2 tokenizer and
#                                     the benchmark dataset into .devkit/ (git-ignored). Prints
#                                     the size the run carries (tree + kit, at most 64 MiB).
#   scripts/device_check.sh          THERE (run with carry [".devkit"]): runs the GPU tests and
#                                     the engine benchmark within one deadline (DEADLINE_S, 540 s
#                                     of work: one 600-second call), writes logs under $OUT (or
#                                     out/device_check) and prints the table of $LOG/summary.txt,
#                                     to which each step's line is appended as the step ends.
# Nothing is built on the device. The GPU machine has its own CUDA runtime, cuBLAS, NCCL and
# Open MPI; the kit brings everything else. Before any test runs, every kit binary is checked
# with ldd: a library that neither the kit nor the machine has becomes one line in the summary,
# and the steps that need that binary are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-cuda}
KIT=.devkit
GPU_TESTS=(test_cuda_host test_cuda_kernels test_cuda_sampling test_cuda_runner test_cuda_engine)
KIT_BINARIES=(profile_throughput tpbench_floor "${GPU_TESTS[@]/#/tests/engine/cuda/}"
              tests/engine/cuda/bench_cuda_runner tests/engine/cuda/measure_floor_inputs)
CARRY_LIMIT_MIB=64

if [ "${1:-}" = "--pack" ]; then
  set -e
  DATA_DIR=${DATA_DIR:-../shared/data}
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    launchers=()
    if command -v ccache >/dev/null; then
      launchers=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
    fi
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTPBENCH_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DTPBENCH_FAULT_INJECTION=OFF "${launchers[@]}"
  else
    # The kit is a release build: no test-only fault hooks, whatever the folder had before.
    cmake -S . -B "$BUILD_DIR" -DTPBENCH_FAULT_INJECTION=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target profile_throughput tpbench_floor_cli \
    "${GPU_TESTS[@]}" bench_cuda_runner measure_floor_inputs
  binaries=("${KIT_BINARIES[@]/#/$BUILD_DIR/}")
  for b in "${binaries[@]}"; do
    if readelf -d "$b" | grep -q 'NEEDED.*libmpi_cxx'; then
      echo "device_check --pack: $b needs libmpi_cxx (MPI's C++ bindings); link MPI::MPI_C only" >&2
      exit 1
    fi
  done
  rm -rf "$KIT"
  bash scripts/pack_devkit.sh "$KIT" "${binaries[@]}"
  mkdir -p "$KIT/data"
  cp "$DATA_DIR/sharegpt-perf-1440.json" "$DATA_DIR/llama2-tokenizer.model" "$KIT/data/"
  # Where the test binaries look for the repository and their build dir (baked in at build).
  (cd "$BUILD_DIR" && pwd) > "$KIT/binary_dir"
  echo "$PWD" > "$KIT/source_dir"
  # What the run carries: the tree (tracked and untracked files git does not ignore) + the kit.
  tree_bytes=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null |
               tail -1 | cut -f1)
  kit_bytes=$(du -sb "$KIT" | cut -f1)
  total_mib=$(((tree_bytes + kit_bytes) / 1048576))
  echo "carried: kit $((kit_bytes / 1048576)) MiB + tree $((tree_bytes / 1048576)) MiB =" \
    "$total_mib MiB (limit $CARRY_LIMIT_MIB MiB)"
  if [ "$total_mib" -ge "$CARRY_LIMIT_MIB" ]; then
    echo "device_check --pack: the kit and tree are over $CARRY_LIMIT_MIB MiB" >&2
    exit 1
  fi
  exit 0
fi

DEADLINE_S=${DEADLINE_S:-540}
deadline=$((SECONDS + DEADLINE_S))
MIN_STEP_S=${MIN_STEP_S:-20}  # a step with less time left than this is skipped
LOG=${OUT:-out/device_check}
mkdir -p "$LOG"
SUMMARY=$LOG/summary.txt
: >"$SUMMARY"
BIN=$KIT/bin

summary() { echo "$*" | tee -a "$SUMMARY"; }
status_line() { printf '%-22s %s\n' "$1" "$2" | tee -a "$SUMMARY"; }
time_left() { echo $((deadline - SECONDS)); }

# Unpack what pack_devkit.sh compressed; gzip is in every Ubuntu image, python3 covers the rest.
for packed in "$KIT"/bin/*.gz "$KIT"/lib/*.gz; do
  [ -e "$packed" ] || continue
  if command -v gzip >/dev/null; then
    gzip -d -f "$packed"
  else
    python3 -c 'import gzip, shutil, sys, os
src = sys.argv[1]
with gzip.open(src) as i, open(src[:-3], "wb") as o: shutil.copyfileobj(i, o)
os.chmod(src[:-3], 0o755); os.remove(src)' "$packed"
  fi || summary "device kit: cannot unpack $packed"
done

export LD_LIBRARY_PATH=$PWD/$KIT/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv,noheader \
  >"$LOG/gpu.txt" 2>&1 || echo "no nvidia-smi" >"$LOG/gpu.txt"
summary "device check on ${card:-no GPU seen by nvidia-smi}, $(date -u +%Y-%m-%dT%H:%MZ)," \
  "deadline ${DEADLINE_S} s"

# Libraries neither the kit nor the machine has: one line each, and the binary is not run.
declare -A missing
: >"$LOG/missing_libs.txt"
for b in "${KIT_BINARIES[@]}"; do
  name=$(basename "$b")
  if [ ! -x "$BIN/$name" ]; then
    missing[$name]="not in the kit"
    summary "device kit: bin/$name is missing from the kit"
    continue
  fi
  libs=$(ldd "$BIN/$name" 2>&1 | awk '/not found/ {print $1}' | sort -u | paste -sd' ')
  if [ -n "$libs" ]; then
    missing[$name]=$libs
    echo "$name: $libs" >>"$LOG/missing_libs.txt"
    summary "device kit: bin/$name needs $libs which neither the kit nor the machine has"
  fi
done

# The tests find data/ and scripts/ at the source dir baked in at build time and make their
# test models under the baked build dir: point those paths at this tree when they are missing.
src=$(cat "$KIT/source_dir" 2>/dev/null || echo "$PWD")
bin_dir=$(cat "$KIT/binary_dir" 2>/dev/null || echo "$PWD/build-cuda")
if [ ! -e "$src" ]; then mkdir -p "$(dirname "$src")" && ln -s "$PWD" "$src"; fi
mkdir -p "$bin_dir" 2>/dev/null || true

# step NAME CAP_S NEEDS COMMAND...: runs COMMAND (output in $LOG/NAME.log) under a timeout of
# CAP_S capped by the time left; sets step_rc, step_limit. NEEDS: kit binaries it runs ("" none).
step() {
  local name=$1 cap=$2 needs=$3
  shift 3
  step_rc=skipped
  for b in $needs; do
    if [ -n "${missing[$b]:-}" ]; then
      status_line "$name" "SKIPPED: $b cannot load (${missing[$b]})"
      return
    fi
  done
  local left
  left=$(time_left)
  if [ "$left" -lt "$MIN_STEP_S" ]; then
    status_line "$name" "SKIPPED: ${left} s left of the ${DEADLINE_S} s deadline"
    return
  fi
  step_limit=$((cap < left ? cap : left))
  local start=$SECONDS
  timeout -k 10 "$step_limit" "$@" >"$LOG/$name.log" 2>&1
  step_rc=$?
  step_s=$((SECONDS - start))
  if [ "$step_rc" -eq 124 ] || [ "$step_rc" -eq 137 ]; then
    step_result="TIMED OUT after ${step_limit} s"
  else
    step_result="rc $step_rc"
  fi
}

for name in "${GPU_TESTS[@]}"; do
  case $name in
    test_cuda_host | test_cuda_sampling) cap=60 ;;
    test_cuda_kernels) cap=90 ;;
    *) cap=120 ;;
  esac
  step "$name" "$cap" "$name" "$BIN/$name" --gtest_color=no
  [ "$step_rc" = skipped ] && continue
  passed=$(grep -c '^\[       OK \]' "$LOG/$name.log")
  failed=$(grep -c '^\[  FAILED  \].*(' "$LOG/$name.log")
  skipped=$(grep -c '^\[  SKIPPED \].*(' "$LOG/$name.log")
  status_line "$name" "$step_result, $passed passed, $failed failed, $skipped skipped, $step_s s"
  grep -E '^\[  FAILED  \]|agreement|equal to the cpu|bf16 logits' "$LOG/$name.log" | head -20
done

# Two ranks on the one GPU as two replicas (TP 1 each) through the whole tool: stories260K fp32
# greedy on the GPU must give the golden ids.
step e2e_two_replicas 180 profile_throughput \
  python3 tests/e2e/run_e2e_case.py golden --exe "$BIN/profile_throughput" --source . \
  "--mpiexec=mpirun;--allow-run-as-root;--oversubscribe" --np 2 --tp 1 --backend cuda -- \
  --dtype float32
if [ "$step_rc" != skipped ]; then
  [ "$step_rc" = 77 ] && step_result="SKIPPED (rc 77: $(tail -1 "$LOG/e2e_two_replicas.log"))"
  status_line "e2e two replicas" "$step_result, $step_s s"
  tail -3 "$LOG/e2e_two_replicas.log"
fi

# The engine benchmark with what is left: it caps its own steps 10 s inside that, skips what
# cannot load, and appends each figure to $LOG/bench/summary.txt as it comes.
left=$(time_left)
step bench_engine $((left > 30 ? left : 30)) "" \
  env PROFILE_THROUGHPUT="$BIN/profile_throughput" BENCH_CUDA_RUNNER="$BIN/bench_cuda_runner" \
  MEASURE_FLOOR_INPUTS="$BIN/measure_floor_inputs" TPBENCH_FLOOR="$BIN/tpbench_floor" \
  DATA_DIR="$KIT/data" OUT_DIR="$LOG/bench" TIME_BUDGET_S=$((left - 10)) \
  bash scripts/bench_engine.sh
if [ "$step_rc" != skipped ]; then
  status_line "bench_engine.sh" "$step_result, $step_s s"
  [ -f "$LOG/bench/summary.txt" ] && sed 's/^/  /' "$LOG/bench/summary.txt" >>"$SUMMARY"
fi

echo
echo "================ device check: $LOG/summary.txt ================"
cat "$SUMMARY"
true
