#!/usr/bin/env bash
# The orchestration's own ceiling: profile_throughput --backend sim --sim-step-ms 0 (engine steps
# cost nothing), so requests/s measures the whole path: dispatch, leader loop, records, collector.
# Goal: >= 50,000 req/s on 2 and 4 ranks. Env: N (requests), OUT_LEN, CONCURRENCY, NPS, and
# EXES: the profile_throughput binaries to compare, interleaved run by run (default: the build's).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
N=${N:-200000}
OUT_LEN=${OUT_LEN:-4}
CONCURRENCY=${CONCURRENCY:-256}
NPS=${NPS:-"2 4"}
if [[ -z "${EXES:-}" ]]; then
  cmake --build "$BUILD_DIR" --target profile_throughput >/dev/null
  EXES="$BUILD_DIR/profile_throughput"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/ds.jsonl" "$N" "$OUT_LEN" <<'PY'
import json, random, sys
path, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(0)
with open(path, "w") as f:
    for _ in range(n):
        f.write(json.dumps({"input_ids": [rng.randint(3, 31999) for _ in range(16)], "output_len": out}) + "\n")
PY
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores; $N requests, 16 prompt + $OUT_LEN output tokens, concurrency $CONCURRENCY"
for np in $NPS; do
  for dispatch in static dynamic; do
    for exe in $EXES; do
      start=$(date +%s.%N)
      mpirun --allow-run-as-root --oversubscribe -np "$np" "$exe" \
        "$tmp/ds.jsonl" "$tmp" --dataset-name token-ids --backend sim --sim-step-ms 0 \
        -n "$N" -c "$CONCURRENCY" --dispatch "$dispatch" --csv "" --json "$tmp/out.json" "$@" >/dev/null
      end=$(date +%s.%N)
      python3 - "$tmp/out.json" "$np" "$dispatch" "$start" "$end" "$exe" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["metrics"]
wall = float(sys.argv[5]) - float(sys.argv[4])
# duration: t0 -> last finish (what the report's req/s uses); wall: the whole mpirun, with
# MPI start-up, dataset loading and every record collected and written.
print("np=%s dispatch=%-7s completed=%d  duration=%.3f s -> %.0f req/s  |  whole mpirun %.2f s -> %.0f req/s  complete=%s  %s" % (
    sys.argv[2], sys.argv[3], m["completed"], m["duration_s"], m["request_throughput"],
    wall, m["completed"] / wall, d["complete"], sys.argv[6]))
PY
    done
  done
done
