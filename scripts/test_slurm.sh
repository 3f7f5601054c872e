#!/usr/bin/env bash
# A real Slurm test on this one machine: starts munged, slurmctld and slurmd (as root, with a
# generated slurm.conf and every state file under a temp dir), submits
# scripts/slurm/profile_throughput.sbatch with --backend sim (srun --mpi=pmix, then the mpirun
# launcher), checks the results and stops the daemons it started. Every wait is bounded.
#
#   scripts/test_slurm.sh [--keep] [--bin PATH]
#
# TPB_TEST_JOB_TIMEOUT=S replaces every job's time limit (default 60-180 s per job);
# TPB_TEST_TOTAL_TIMEOUT=S bounds the whole test (default 240 s).
# Installs slurm-wlm, munge and gnuplot-nox from Debian when missing. Exit codes: 0 pass,
# 1 fail, 77 skipped (not root, no apt, or no profile_throughput binary).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo="$PWD"

keep=0
bin="${TPB_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --bin) bin="$2"; shift ;;
    -h | --help) sed -n "2,14p" "$0"; exit 0 ;;
    *) echo "test_slurm: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "test_slurm: $*"; }
skip() { say "SKIP: $*"; exit 77; }
fail() {
  say "FAIL: $*"
  failed=1
}
failed=0

[ "$(id -u)" -eq 0 ] || skip "needs root (starts munged, slurmctld and slurmd)"

if [ -z "$bin" ]; then
  for b in build/profile_throughput build-*/profile_throughput; do
    if [ -x "$b" ]; then bin="$repo/$b"; break; fi
  done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  skip "no profile_throughput binary (build it, or pass --bin)"
fi

# --- packages ----------------------------------------------------------------------------
packages=(slurm-wlm munge gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || skip "missing ${missing[*]} and no apt-get"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 600 apt-get update -q >/dev/null ||
    ! timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    say "FAIL: apt-get install ${missing[*]}"
    exit 1
  fi
fi

# --- daemons -----------------------------------------------------------------------------
tmp="$(mktemp -d /tmp/tpbench-slurm.XXXXXX)"
chmod 755 "$tmp"
pids=()
child=""  # a long-running helper (the scaling study), stopped before the jobs and daemons
watchdog=""
# The daemons run in their own sessions (setsid), so that a signal to this test's process
# group reaches this script's trap first: it cancels the jobs while slurmctld still runs, then
# stops the daemons. If this script is killed outright, the watchdog stops them.
cleanup() {
  [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill "$child" 2>/dev/null
    for _ in $(seq 40); do kill -0 "$child" 2>/dev/null || break; sleep 0.25; done
  fi
  # Jobs first (their slurmstepd outlive slurmd otherwise): cancel all jobs of this private
  # cluster and give them up to 15 s to go.
  if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -ge 2 ]; then
    timeout 10 scontrol update PartitionName=test State=DOWN 2>/dev/null
    timeout 10 scancel --quiet --user=root 2>/dev/null
    for _ in $(seq 30); do
      [ -z "$(timeout 5 squeue -h -t RUNNING,COMPLETING,CONFIGURING 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  if [ $keep -eq 1 ] || [ $failed -ne 0 ]; then
    say "logs kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
ctld_port="$(free_port)"
slurmd_port="$(free_port)"
[ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$((ctld_port + 1))

host="$(hostname -s)"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool/$host" "$tmp/log" "$tmp/work"
chmod 711 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munge_socket="$tmp/munge/munge.socket"
setsid munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$munge_socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
  --seed-file="$tmp/munge/munge.seed" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$munge_socket" ] && break; sleep 0.1; done
[ -S "$munge_socket" ] || { fail "munged did not start (see $tmp/log/munged.log)"; exit 1; }

# The node as slurmd sees it (its real CPUs and memory), plus 2 GPUs without device files so
# that the template's --gpus-per-node is exercised.
node_line="$(slurmd -C | head -n 1)"
node_line="${node_line/NodeName=* CPUs=/NodeName=$host NodeAddr=127.0.0.1 CPUs=}"
cpus="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node_line")"
conf="$tmp/slurm.conf"
cat >"$conf" <<CONF
ClusterName=tpbtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=${TPB_SLURMD_DEBUG:-info}
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
GresTypes=gpu
$node_line Gres=gpu:2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=30 State=UP OverSubscribe=NO
CONF
# Slurm drops GPUs without a File=; copies of /dev/null stand in for the device nodes (no
# cgroups here, so nothing is constrained by them).
mkdir -p "$tmp/dev"
for i in 0 1; do mknod "$tmp/dev/gpu$i" c 1 3 2>/dev/null || touch "$tmp/dev/gpu$i"; done
cat >"$tmp/gres.conf" <<CONF
NodeName=$host Name=gpu File=$tmp/dev/gpu[0-1]
CONF
# pmix's per-step directories go under the temp dir too: job ids restart at 1 in every test
# cluster, and a stale /tmp/spmix_appdir_0_<job>.0 would make srun fail.
mkdir -p "$tmp/pmix"
cat >"$tmp/mpi.conf" <<CONF
PMIxCliTmpDirBase=$tmp/pmix
CONF
export SLURM_CONF="$conf"

setsid slurmctld -D -c -f "$conf" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
setsid slurmd -D -f "$conf" -N "$host" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)

cat >"$tmp/watchdog.sh" <<'WD'
# Stops this test's daemons when the test died without cleaning up (e.g. SIGKILL).
parent="$1" conf="$2"
shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
export SLURM_CONF="$conf"
timeout 10 scontrol update PartitionName=test State=DOWN
timeout 10 scancel --quiet --user=root
for _ in $(seq 30); do
  [ -z "$(timeout 5 squeue -h -t RUNNING,COMPLETING,CONFIGURING 2>/dev/null)" ] && break
  sleep 0.5
done
for pid in "$@"; do
  grep -qaE 'slurmctld|slurmd|munged' "/proc/$pid/cmdline" 2>/dev/null && kill "$pid"
done
WD
setsid bash "$tmp/watchdog.sh" $$ "$conf" "${pids[@]}" </dev/null >/dev/null 2>&1 &
watchdog=$!

state=""
for _ in $(seq 60); do
  state="$(timeout 5 sinfo -h -N -o %t 2>/dev/null | head -n 1)"
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  fail "node not idle after 30 s (state '$state'); see $tmp/log"
  tail -n 20 "$tmp/log/slurmctld.log" "$tmp/log/slurmd.log" 2>/dev/null
  exit 1
fi
say "slurmctld :$ctld_port and slurmd :$slurmd_port up; node $host ($cpus CPUs, 2 fake GPUs) idle"

# --- jobs --------------------------------------------------------------------------------
work="$tmp/work"
dataset="$work/token_ids.jsonl"
python3 - "$dataset" <<'PY'
import json, random, sys
rng = random.Random(7)
with open(sys.argv[1], "w") as f:
    for i in range(48):
        ids = [rng.randrange(3, 32000) for _ in range(rng.randrange(8, 64))]
        f.write(json.dumps({"input_ids": ids, "output_len": rng.randrange(4, 24)}) + "\n")
PY
model="$repo/data/tokenizers/llama2"  # any directory serves the sim backend
num_prompts=48

# The whole test ends within TPB_TEST_TOTAL_TIMEOUT seconds (default 240; ctest allows 300):
# every wait below is cut to what is left. bounded S: min(S, seconds left), at least 1.
total_deadline=$((SECONDS + ${TPB_TEST_TOTAL_TIMEOUT:-240}))
bounded() {
  local left=$((total_deadline - SECONDS))
  [ "$left" -lt 1 ] && left=1
  if [ "$1" -lt "$left" ]; then echo "$1"; else echo "$left"; fi
}

# submit NAME TIMEOUT_S [sbatch options...] -- [TPB_* variables] [++ template arguments]:
# submits the template and waits
# for the job to end by polling scontrol (sbatch --wait polls every few seconds; this is
# faster), at most TIMEOUT_S. Sets job and job_rc (the batch script's exit code); returns 1 when
# the job could not be submitted or did not end in time.
job="" job_rc=""
submit() {
  local name="$1" limit="${TPB_TEST_JOB_TIMEOUT:-$2}"
  limit="$(bounded "$limit")"
  shift 2
  local opts=() envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ] && [ "$1" != ++ ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  args=("$@")
  job="" job_rc=""
  job="$(cd "$work" && env "${envs[@]}" timeout 30 sbatch --parsable --export=ALL \
    --job-name="tpb-$name" --time=5 --output="$work/slurm-%j.out" "${opts[@]}" \
    "$repo/scripts/slurm/profile_throughput.sbatch" "${args[@]}" 2>"$work/sbatch-$name.err")"
  job="${job%%;*}"
  if [ -z "$job" ]; then
    fail "$name: sbatch refused the job: $(cat "$work/sbatch-$name.err")"
    return 1
  fi
  local deadline=$((SECONDS + limit)) info state
  while [ $SECONDS -lt $deadline ]; do
    info="$(timeout 10 scontrol show job "$job" -o 2>/dev/null)"
    state="$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$info")"
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        job_rc="$(sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p' <<<"$info")"
        return 0
        ;;
    esac
    sleep 0.25
  done
  fail "$name: job $job did not end within ${limit}s (state '$state')"
  timeout 10 scancel "$job"
  return 1
}

# submit_ok NAME TIMEOUT_S ...: submit, and fail unless the job exited 0.
submit_ok() {
  local name="$1"
  submit "$@" || return 1
  if [ "$job_rc" != 0 ]; then
    fail "$name: job $job exited '$job_rc'"
    tail -n 30 "$work/slurm-$job.out" 2>/dev/null
    return 1
  fi
}

# check NAME JOBID WORLD [REQUESTS]: result.json complete, every request counted, csv row,
# console table.
check() {
  local name="$1" job="$2" world="$3" dir="$work/runs/$2" n="${4:-$num_prompts}"
  local problems
  problems="$(python3 - "$dir" "$n" "$world" <<'PY'
import json, os, sys
d, n, world = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p = []
try:
    r = json.load(open(os.path.join(d, "result.json")))
except Exception as e:
    print(f"result.json unreadable: {e}"); sys.exit()
def find(obj, key):
    if isinstance(obj, dict):
        if key in obj: return obj[key]
        for v in obj.values():
            x = find(v, key)
            if x is not None: return x
    return None
if find(r, "complete") is not True: p.append(f"complete is {find(r, 'complete')!r}")
m = r.get("metrics", r)
if m.get("completed") != n: p.append(f"metrics.completed {m.get('completed')} != {n}")
if m.get("failed", 0): p.append(f"metrics.failed {m.get('failed')}")
w = find(r, "world_size")
if w is not None and w != world: p.append(f"world_size {w} != {world}")
try:
    lines = [l for l in open(os.path.join(d, "requests.jsonl")) if l.strip()]
    if len(lines) != n: p.append(f"requests.jsonl has {len(lines)} lines, not {n}")
except OSError as e:
    p.append(f"requests.jsonl: {e}")
try:
    rows = [l for l in open(os.path.join(d, "result.csv")) if l.strip()]
    if len(rows) != 2: p.append(f"result.csv has {len(rows)} lines, not header + 1 row")
except OSError as e:
    p.append(f"result.csv: {e}")
try:
    if "Profile Throughput" not in open(os.path.join(d, "stdout")).read():
        p.append("stdout lacks the Profile Throughput table")
except OSError as e:
    p.append(f"stdout: {e}")
print("; ".join(p))
PY
)"
  if [ -n "$problems" ]; then
    fail "$name (job $job): $problems"
    tail -n 20 "$dir/stderr" 2>/dev/null
    return 1
  fi
  local launch
  launch="$(cut -c1-60 "$dir/command")"
  say "PASS $name: job $job, $world ranks, $n requests complete ($launch...)"
}

sim_only=(--dataset-name token-ids --backend sim --sim-step-ms 2)
sim_args=("${sim_only[@]}" -n "$num_prompts" -c 8)
started=$SECONDS

# 1. arguments form, srun --mpi=pmix (auto), 2 ranks x 2 GPUs on one node.
if submit_ok srun-args 120 --nodes=1 --ntasks-per-node=2 --gpus-per-node=2 -- \
  TPB_BIN="$bin" TPB_RUNS_DIR="$work/runs" ++ "$dataset" "$model" "${sim_args[@]}"; then
  if check srun-pmix "$job" 2 && ! grep -q -- "--mpi=pmix" "$work/runs/$job/command"; then
    fail "srun-pmix: launch line lacks --mpi=pmix: $(cat "$work/runs/$job/command")"
  fi
fi

# 2. the mpirun launcher with --tp 2 (one replica of 2 ranks).
if submit_ok mpirun-tp2 120 --nodes=1 --ntasks-per-node=2 --gpus-per-node=2 -- \
  TPB_BIN="$bin" TPB_RUNS_DIR="$work/runs" TPB_ARGS="${sim_args[*]}" TPB_DATASET="$dataset" \
  TPB_MODEL="$model" TPB_TP=2 TPB_LAUNCHER=mpirun; then
  check mpirun-tp2 "$job" 2
fi

# 3. a bad --tp is refused before launching, with exit code 2.
if submit bad-tp 60 --nodes=1 --ntasks-per-node=2 --gpus-per-node=2 -- TPB_BIN="$bin" \
  TPB_RUNS_DIR="$work/runs" TPB_ARGS="${sim_args[*]}" TPB_TP=3 TPB_DATASET="$dataset" \
  TPB_MODEL="$model"; then
  if [ "$job_rc" = 2 ] && grep -q "does not divide" "$work/slurm-$job.out"; then
    say "PASS bad-tp: job $job, --tp 3 on 2 ranks refused with exit code 2"
  else
    fail "bad-tp: job $job exited '$job_rc'; $(cat "$work/slurm-$job.out")"
  fi
fi

# 4. scripts/scaling_study through Slurm: 1 and 2 ranks, strong scaling at concurrency 8.
study_limit="$(bounded 150)"
(cd "$work" && exec timeout "$study_limit" python3 "$repo/scripts/scaling_study" run "$dataset" \
  "$model" --launcher slurm --gpus-per-node 2 --ranks 1,2 --strong-concurrency 8 \
  -n "$num_prompts" --bin "$bin" --run-timeout "$(bounded 60)" --sbatch-args=--time=5 \
  -o "$work/study" -- "${sim_only[@]}" >"$work/study.log" 2>&1) &
child=$!
if wait "$child"; then
  child=""
  if python3 - "$work/study/scaling.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
worlds = sorted(int(r["world"]) for r in rows if r["strong_efficiency"])
sys.exit(0 if worlds == [1, 2] else 1)
PY
  then
    say "PASS scaling-study: 2 Slurm jobs, scaling.csv has strong efficiency at 1 and 2 ranks"
  else
    fail "scaling-study: scaling.csv lacks efficiencies for 1 and 2 ranks"
    cat "$work/study/scaling.csv"
  fi
else
  child=""
  fail "scaling-study through Slurm failed: $(tail -n 5 "$work/study.log")"
fi

# 5. the cpu backend on a tiny random model (vocab 512), --tp 2, when the generator exists.
if [ -f scripts/make_tiny_model.py ] && [ -z "${TPB_SKIP_CPU:-}" ]; then
  tiny="$work/tiny-model"
  cpu_dataset="$work/token_ids_vocab512.jsonl"
  python3 - "$cpu_dataset" <<'PY'
import json, random, sys
rng = random.Random(11)
with open(sys.argv[1], "w") as f:
    for i in range(16):
        ids = [rng.randrange(3, 512) for _ in range(rng.randrange(8, 32))]
        f.write(json.dumps({"input_ids": ids, "output_len": rng.randrange(4, 12)}) + "\n")
PY
  if timeout "$(bounded 60)" python3 scripts/make_tiny_model.py "$tiny" --no-tokenizer --vocab 512 \
    >"$work/make_tiny_model.log" 2>&1; then
    if submit_ok cpu-tiny 180 --nodes=1 --ntasks-per-node=2 --gpus-per-node=2 -- \
      TPB_BIN="$bin" TPB_RUNS_DIR="$work/runs" TPB_DATASET="$cpu_dataset" TPB_MODEL="$tiny" \
      TPB_ARGS="--dataset-name token-ids --backend cpu -n 16 -c 4" TPB_TP=2; then
      check cpu-tiny "$job" 2 16
    fi
  else
    fail "scripts/make_tiny_model.py failed: $(tail -n 3 "$work/make_tiny_model.log")"
  fi
fi

elapsed=$((SECONDS - started))
if [ $failed -ne 0 ]; then
  say "FAILED (jobs took ${elapsed}s)"
  exit 1
fi
say "all passed (jobs took ${elapsed}s)"
