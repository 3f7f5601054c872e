#!/usr/bin/env bash
# Open-loop arrival lag (docs/PERFORMANCE.md "Arrival lag"): how late the harness takes requests
# in beyond their scheduled time (lag = submit - scheduled - queue), at request rates over the
# whole cluster, on the sim backend with short steps. Prints lag P50/P99/max and the achieved
# arrival rate per (ranks, rate). A benchmark, not a test.
# Env: RATES (requests/s, default "1000 10000"), SECONDS_OF_ARRIVALS (default 4), NPS (default
# "2 4"), STEP_MS (--sim-step-ms, default 1), OUT_LEN (default 8), BUILD_DIR.
# Arrivals come from --request-rate when the binary has it; otherwise (a build without the flag)
# from an equivalent Poisson schedule given through the TPBENCH_TEST_SCHEDULE_FILE test hook,
# which needs a -DTPBENCH_FAULT_INJECTION=ON build (scripts/build.sh makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RATES=${RATES:-"1000 10000"}
SECONDS_OF_ARRIVALS=${SECONDS_OF_ARRIVALS:-4}
NPS=${NPS:-"2 4"}
STEP_MS=${STEP_MS:-1}
OUT_LEN=${OUT_LEN:-8}
exe="$BUILD_DIR/profile_throughput"
cmake --build "$BUILD_DIR" --target profile_throughput >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
have_rate_flag=0
if "$exe" --help 2>/dev/null | grep -q -- '--request-rate'; then have_rate_flag=1; fi

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "sim step ${STEP_MS} ms, 16 prompt + $OUT_LEN output tokens, ${SECONDS_OF_ARRIVALS} s of arrivals;" \
  "arrivals from $([[ $have_rate_flag == 1 ]] && echo --request-rate || echo TPBENCH_TEST_SCHEDULE_FILE)"
for rate in $RATES; do
  n=$(python3 -c "print(int($rate * $SECONDS_OF_ARRIVALS))")
  python3 - "$tmp/ds.jsonl" "$tmp/schedule.txt" "$n" "$OUT_LEN" "$rate" <<'PY'
import json, random, sys
ds, sched, n, out, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rng = random.Random(0)
with open(ds, "w") as f:
    for _ in range(n):
        f.write(json.dumps({"input_ids": [rng.randint(3, 31999) for _ in range(16)], "output_len": out}) + "\n")
t, gaps = 0.0, random.Random(1)
with open(sched, "w") as f:
    for _ in range(n):
        t += gaps.expovariate(rate)
        f.write("%d\n" % int(t * 1e9))
PY
  for np in $NPS; do
    if [[ $have_rate_flag == 1 ]]; then
      load=(--request-rate "$rate")
      envs=()
    else
      load=()
      envs=(-x "TPBENCH_TEST_SCHEDULE_FILE=$tmp/schedule.txt")
    fi
    mpirun --allow-run-as-root --oversubscribe -np "$np" "${envs[@]}" "$exe" \
      "$tmp/ds.jsonl" "$tmp" --dataset-name token-ids --backend sim --sim-step-ms "$STEP_MS" \
      -n "$n" "${load[@]}" --csv "" --json "$tmp/out.json" --requests-out "$tmp/req.jsonl" \
      "$@" >/dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr"; exit 1; }
    python3 - "$tmp/req.jsonl" "$np" "$rate" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lag = sorted(r["submit_ns"] - r["scheduled_ns"] - r["queue_ns"] for r in recs)
pct = lambda p: lag[min(len(lag) - 1, int(p / 100 * len(lag)))] / 1e3
sub = sorted(r["submit_ns"] for r in recs)
achieved = (len(sub) - 1) / ((sub[-1] - sub[0]) / 1e9)
print("np=%s rate=%6s req/s: %d requests, lag P50 %.1f us, P99 %.1f us, max %.1f us; "
      "achieved arrival rate %.0f req/s" % (sys.argv[2], sys.argv[3], len(recs), pct(50),
      pct(99), lag[-1] / 1e3, achieved))
PY
  done
done
