#!/usr/bin/env bash
# Benchmark (not a test): how long loading a ShareGPT file the size of
# ShareGPT_V3_unfiltered_cleaned_split.json (642 MB) takes, and its peak RSS, on one core.
# Builds a ~650 MB file under /tmp by repeating the real samples' records, runs
# tpbench_bench_sharegpt_load on it under /usr/bin/time -v, then deletes the file.
# Usage: scripts/bench_dataset.sh [runs]   (env: BUILD_DIR=build, TARGET_MB=650)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TARGET_MB=${TARGET_MB:-650}
RUNS=${1:-3}
BIN="$BUILD_DIR/coordinator/workload/tpbench_bench_sharegpt_load"
SHARED=${TPBENCH_SHARED_DATA_DIR:-../shared/data}
[[ -x "$BIN" ]] || cmake --build "$BUILD_DIR" --target tpbench_bench_sharegpt_load
sources=(data/sharegpt/*.json)
[[ -f "$SHARED/sharegpt-365conv-multiturn-noid.json" ]] && sources+=("$SHARED/sharegpt-365conv-multiturn-noid.json")

tmp=$(mktemp /tmp/tpbench-sharegpt-XXXXXX.json)
trap 'rm -f "$tmp"' EXIT
python3 - "$tmp" "$TARGET_MB" "${sources[@]}" <<'PY'
import json, sys
out, target_mb, sources = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# Pretty-printed like the real file; records kept whole (other keys included).
chunks = [json.dumps(r, indent=2, ensure_ascii=False)
          for path in sources for r in json.load(open(path, encoding="utf-8"))]
block = ",\n".join(chunks).encode("utf-8")
repeats = max(1, target_mb * 1024 * 1024 // len(block))
with open(out, "wb") as f:
    f.write(b"[\n")
    for i in range(repeats):
        if i:
            f.write(b",\n")
        f.write(block)
    f.write(b"\n]\n")
print(f"file: {out}: {repeats * len(chunks)} records, "
      f"{(repeats * len(block)) / 1048576:.0f} MB from {len(sources)} real sample files")
PY
cat "$tmp" > /dev/null  # warm the page cache: time the parse, not the disk
for ((i = 1; i <= RUNS; i++)); do
  log=$(mktemp)
  taskset -c 0 /usr/bin/time -v "$BIN" "$tmp" 2> "$log" | sed "s/^/run $i: /"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$log" | sed "s/^\s*/run $i: /"
  rm -f "$log"
done
