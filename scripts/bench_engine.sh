#!/usr/bin/env bash
# The GPU engine benchmark (one GPU, --backend cuda): Llama-2-7B shape (configs/llama-2-7b +
# the Llama 2 tokenizer), --dummy-weights, bf16, 1000 requests sampled with seed 0 from
# sharegpt-perf-1440.json, concurrency 256. In this order, each step under its own timeout:
#   1. this card's floor inputs (measure_floor_inputs: the cuBLAS GEMMs of one step at 1 ..
#      16384 tokens, the copy bandwidth) -> $OUT_DIR/floor_inputs.json;
#   2. decode-step times (bench_cuda_runner): batch 1, 64, 256 with CUDA graphs, 1 and 64
#      without, each against this card's GEMM time for that many tokens;
#   3. this card's floor for the run's workload (tpbench_floor) -> $OUT_DIR/floor.json;
#   4. the throughput run (profile_throughput) -> $OUT_DIR/result.json: output tok/s, req/s,
#      RPM, TTFT / TPOT percentiles, start-up time when the build reports it, and the ratio to
#      this card's floor. A run that fails or times out still prints what result.json holds.
# Every figure line is appended to $OUT_DIR/summary.txt as it comes; a failed step does not
# stop the next.
# usage: scripts/bench_engine.sh
# env: BUILD_DIR (build), PROFILE_THROUGHPUT / BENCH_CUDA_RUNNER / MEASURE_FLOOR_INPUTS /
#      TPBENCH_FLOOR (binaries; default under BUILD_DIR), DATA_DIR (../shared/data:
#      sharegpt-perf-1440.json, llama2-tokenizer.model), OUT_DIR (out/bench_engine),
#      NUM_PROMPTS (1000), CONCURRENCY (256), TIMEOUT_S (profile_throughput --timeout; 0 = none),
#      TIME_BUDGET_S (0 = none: the whole script's limit; every step's timeout is capped by what
#      is left of it), STEP_CONTEXT (256: prompt tokens before the timed decode steps),
#      FLOOR_INPUTS (a floor-inputs JSON to use instead of measuring), SKIP_RUN / SKIP_STEPS /
#      SKIP_FLOOR=1, BACKEND (cuda; sim smoke-tests this script without a GPU: it skips the
#      GPU-only steps 1 and 2).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PROFILE_THROUGHPUT=${PROFILE_THROUGHPUT:-$BUILD_DIR/profile_throughput}
BENCH_CUDA_RUNNER=${BENCH_CUDA_RUNNER:-$BUILD_DIR/tests/engine/cuda/bench_cuda_runner}
MEASURE_FLOOR_INPUTS=${MEASURE_FLOOR_INPUTS:-$BUILD_DIR/tests/engine/cuda/measure_floor_inputs}
TPBENCH_FLOOR=${TPBENCH_FLOOR:-$BUILD_DIR/tpbench_floor}
DATA_DIR=${DATA_DIR:-../shared/data}
OUT_DIR=${OUT_DIR:-out/bench_engine}
NUM_PROMPTS=${NUM_PROMPTS:-1000}
CONCURRENCY=${CONCURRENCY:-256}
TIMEOUT_S=${TIMEOUT_S:-0}
TIME_BUDGET_S=${TIME_BUDGET_S:-0}
BACKEND=${BACKEND:-cuda}
STEP_CONTEXT=${STEP_CONTEXT:-256}
DTYPE=bfloat16
DATASET=$DATA_DIR/sharegpt-perf-1440.json

mkdir -p "$OUT_DIR/llama-2-7b"
MODEL="$OUT_DIR/llama-2-7b"
cp configs/llama-2-7b/config.json "$MODEL/config.json"
cp "$DATA_DIR/llama2-tokenizer.model" "$MODEL/tokenizer.model"
SUMMARY=$OUT_DIR/summary.txt
: >"$SUMMARY"
FLOOR_JSON=$OUT_DIR/floor.json
rm -f "$OUT_DIR/result.json" "$OUT_DIR/floor_inputs.json" "$FLOOR_JSON"
MPI=()
if command -v mpirun >/dev/null 2>&1; then MPI=(mpirun --allow-run-as-root --oversubscribe -np 1); fi
CARD=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
CARD=${CARD:-no GPU seen by nvidia-smi}
end=$((TIME_BUDGET_S > 0 ? SECONDS + TIME_BUDGET_S : 0))

say() { echo "$*" | tee -a "$SUMMARY"; }
say "# $(date -u +%Y-%m-%dT%H:%MZ) $CARD, backend $BACKEND, $NUM_PROMPTS requests, concurrency $CONCURRENCY"

# limit CAP_S: prints CAP_S capped by what is left of TIME_BUDGET_S; nothing (and a summary
# line naming STEP) when under 10 s are left.
limit() {
  local cap=$1 step=$2
  if [ "$end" -eq 0 ]; then echo "$cap"; return; fi
  local left=$((end - SECONDS))
  if [ "$left" -lt 10 ]; then
    say "$step: SKIPPED, ${left} s left of the ${TIME_BUDGET_S} s budget" >&2
    return
  fi
  echo $((cap < left ? cap : left))
}

# 1. This card's floor inputs.
if [ -n "${FLOOR_INPUTS:-}" ]; then
  cp "$FLOOR_INPUTS" "$OUT_DIR/floor_inputs.json"
elif [ "$BACKEND" = cuda ] && [ "${SKIP_FLOOR:-0}" != 1 ]; then
  t=$(limit 120 measure_floor_inputs)
  if [ -n "$t" ]; then
    timeout -k 5 "$t" "$MEASURE_FLOOR_INPUTS" "$MODEL" "$DTYPE" "$OUT_DIR/floor_inputs.json" 2>&1 |
      tee "$OUT_DIR/floor_inputs.log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
      grep -E '^(step_gemm tokens (1|64|256|2048):|copy:)' "$OUT_DIR/floor_inputs.log" >>"$SUMMARY"
    else
      say "measure_floor_inputs: rc $rc (log: $OUT_DIR/floor_inputs.log)"
      rm -f "$OUT_DIR/floor_inputs.json"
    fi
  fi
fi
FLOOR_CARD=$CARD
if [ -f "$OUT_DIR/floor_inputs.json" ]; then
  FLOOR_CARD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("card") or "unknown card")' \
    "$OUT_DIR/floor_inputs.json")
fi
# "this card's floor (X)" when the floor was measured on the card of this run.
if [ "$FLOOR_CARD" = "$CARD" ]; then FLOOR_NAME="this card's floor ($CARD)"; else
  FLOOR_NAME="the floor of $FLOOR_CARD (this run: $CARD)"; fi

# 2. Decode-step times: with CUDA graphs (as the engine runs), then without.
if [ "$BACKEND" = cuda ] && [ "${SKIP_STEPS:-0}" != 1 ]; then
  : >"$OUT_DIR/decode_steps.txt"
  for graphs in 1 0; do
    batches=(1 64 256)
    [ "$graphs" = 0 ] && batches=(1 64)
    t=$(limit 120 "decode steps (graphs $graphs)") || true
    [ -z "$t" ] && continue
    timeout -k 5 "$t" "$BENCH_CUDA_RUNNER" "$MODEL" "$DTYPE" 1 "$STEP_CONTEXT" 32 "$graphs" \
      "${batches[@]}" 2>&1 | tee -a "$OUT_DIR/decode_steps.txt"
    rc=${PIPESTATUS[0]}
    [ "$rc" -ne 0 ] && say "bench_cuda_runner graphs $graphs: rc $rc"
  done
  grep '^decode_step' "$OUT_DIR/decode_steps.txt" >>"$SUMMARY"
  # Against this card's cuBLAS GEMMs for as many tokens: what attention, the other kernels and
  # the host add to a decode step.
  if [ -f "$OUT_DIR/floor_inputs.json" ]; then
    python3 - "$OUT_DIR/decode_steps.txt" "$OUT_DIR/floor_inputs.json" "$FLOOR_CARD" <<'PY' |
import json, re, sys
points = {p["tokens"]: p["ms"] for p in json.load(open(sys.argv[2]))["step_gemm"]}
for line in open(sys.argv[1]):
    m = re.match(r"decode_step batch (\d+) context \d+ graphs (\w+): ([\d.]+) ms/step", line)
    if m and int(m.group(1)) in points:
        b, ms = int(m.group(1)), float(m.group(3))
        print(f"decode_step_vs_gemm batch {b} graphs {m.group(2)}: {ms:.3f} ms = "
              f"{ms / points[b]:.2f} x the {points[b]:.2f} ms of its cuBLAS GEMMs ({sys.argv[3]})")
PY
      tee -a "$SUMMARY"
  fi
fi

# 3. The floor of this run's workload on that card.
t=
[ -f "$OUT_DIR/floor_inputs.json" ] && t=$(limit 60 tpbench_floor)
if [ -n "$t" ]; then
  timeout -k 5 "$t" "$TPBENCH_FLOOR" "$DATASET" "$MODEL" --inputs "$OUT_DIR/floor_inputs.json" \
    -n "$NUM_PROMPTS" --seed 0 -c "$CONCURRENCY" --json "$FLOOR_JSON" 2>&1 |
    tee "$OUT_DIR/floor.log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then
    grep -E '^(floor_s|output tok/s|req/s)' "$OUT_DIR/floor.log" | sed "s/^/floor ($FLOOR_CARD): /" >>"$SUMMARY"
  else
    say "tpbench_floor: rc $rc (log: $OUT_DIR/floor.log)"
  fi
fi

# 4. The throughput run. --timeout stops it (with an incomplete result.json); the outer timeout
# only catches a hang, 30 s later.
t=
[ "${SKIP_RUN:-0}" != 1 ] && t=$(limit 100000 profile_throughput)
if [ -n "$t" ]; then
  run_timeout=$TIMEOUT_S
  if [ "$end" -ne 0 ]; then
    inner=$((t > 45 ? t - 30 : 15))
    if [ "$run_timeout" = 0 ] || [ "${run_timeout%.*}" -gt "$inner" ]; then run_timeout=$inner; fi
  fi
  outer=()
  [ "$end" -ne 0 ] && outer=(timeout -k 10 "$t")
  (
    set -x
    "${outer[@]}" "${MPI[@]}" "$PROFILE_THROUGHPUT" "$DATASET" "$MODEL" \
      --backend "$BACKEND" --dummy-weights --dtype "$DTYPE" -n "$NUM_PROMPTS" -c "$CONCURRENCY" \
      --seed 0 --timeout "$run_timeout" --json "$OUT_DIR/result.json" --csv ""
  ) 2>&1 | tee "$OUT_DIR/run.log"
  rc=${PIPESTATUS[0]}
  say "profile_throughput: rc $rc (--timeout $run_timeout s)"
  if [ -f "$OUT_DIR/result.json" ]; then
    python3 - "$OUT_DIR/result.json" "$FLOOR_JSON" "$FLOOR_NAME" <<'PY' | tee -a "$SUMMARY"
import json, os, sys
r = json.load(open(sys.argv[1]))
m = r.get("metrics") or {}
floor = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else None
def num(key, fmt):
    v = m.get(key)
    return format(v, fmt) if isinstance(v, (int, float)) else "?"
replicas = r.get("replicas") or [{}]
print(f"engine        {replicas[0].get('engine', '?')}")
state = "" if r.get("complete") else f"  INCOMPLETE: {r.get('incomplete_reason')}"
print(f"completed     {m.get('completed', '?')} / {m.get('total_requests', '?')} "
      f"(failed {m.get('failed', '?')}){state}")
if isinstance(r.get("startup_s"), (int, float)):
    print(f"startup       {r['startup_s']:.2f} s (before the first request)")
print(f"duration      {num('duration_s', '.2f')} s")
line = f"output tok/s  {num('output_throughput', '.1f')}"
if floor and isinstance(m.get("output_throughput"), (int, float)) and floor.get("output_tok_s"):
    line += (f"   ratio to {sys.argv[3]}: {m['output_throughput'] / floor['output_tok_s']:.3f}"
             f" (floor {floor['output_tok_s']:.0f} tok/s, {floor['floor_s']:.2f} s)"
             + ("" if r.get("complete") else ", incomplete run"))
print(line)
print(f"req/s         {num('request_throughput', '.3f')}   RPM {num('requests_per_minute', '.1f')}")
for name in ("ttft", "tpot"):
    d = m.get(name)
    if not d:
        continue
    keys = ["mean"] + sorted((k for k in d if k.startswith("p")),
                             key=lambda k: float(k[1:].replace("_", ".")))
    print(f"{name.upper():5} (s)     " +
          "  ".join(f"{k} {d[k]:.4f}" for k in keys if isinstance(d.get(k), (int, float))))
PY
  else
    say "profile_throughput wrote no result.json (log: $OUT_DIR/run.log)"
  fi
fi
true
