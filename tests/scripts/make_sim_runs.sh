#!/usr/bin/env bash
# Regenerates tests/scripts/data/sim_runs/: real profile_throughput --json results of the sim
# backend, for the compare tests (test_scripts.py). Usage, from the repository root after
# building profile_throughput:
#   tests/scripts/make_sim_runs.sh [build/profile_throughput]
# same/r1..r8: eight runs of ONE configuration (2 ranks, 64 token-ids requests, -c 16, the sim's
# default step of 5 ms + 20 us per token), one after the other.
# slow/r1..r4: the same with the step's fixed part doubled (--sim-base-ms 10).
set -euo pipefail
bin="${1:-build/profile_throughput}"
out=tests/scripts/data/sim_runs
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 scripts/scaling_study token-ids "$tmp/token_ids.jsonl" -n 64 --seed 1 --min-len 8 \
  --max-len 64 --vocab 32000
mpi=(mpirun -np 2 --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
one() {  # DIR [options]
  local dir="$1"
  shift
  mkdir -p "$dir"
  "${mpi[@]}" "$bin" "$tmp/token_ids.jsonl" no-model --dataset-name token-ids --backend sim \
    -n 64 -c 16 --csv "" --json "$dir/result.json" "$@" >/dev/null
}
rm -rf "$out"
for i in 1 2 3 4 5 6 7 8; do one "$out/same/r$i"; done
for i in 1 2 3 4; do one "$out/slow/r$i" --sim-base-ms 10; done
echo "wrote $out"
