#!/usr/bin/env bash
# Three hosts on one machine: each a network + UTS namespace with its own address and host name
# (names resolvable from each through /etc/netns/NAME/hosts), joined by a bridge that lives in a
# fourth namespace of its own, so that nothing touches the machine's network. mpirun (Open MPI)
# starts its daemons on them through an rsh agent that enters the namespaces; host 3's processes
# also run in a time namespace whose monotonic clock is far ahead.
#
#   scripts/test_multihost.sh [--bin PATH] [--keep] [--case all|replicas|cut]
#
# replicas: stories260K greedy, one replica per host (host 3's clock ahead): each replica's
#   host is reported, every time in the reports is valid, and the token ids match a one-host
#   run's, token for token.
# cut: host 3's link is cut mid-run: the coordinator names host 3 within --heartbeat-timeout,
#   writes the reports, and mpirun exits within --heartbeat-timeout + the fault grace
#   (docs/CLUSTER.md).
#
# Needs root, iproute2 (ip), util-linux (unshare, nsenter) and Open MPI's mpirun. Exit codes:
# 0 pass, 1 fail, 77 skipped (with the reason: not root, no namespaces, no binary).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo="$PWD"

keep=0
bin=""
which_case=all
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --bin) bin="$2"; shift ;;
    --case) which_case="$2"; shift ;;
    -h | --help) sed -n "2,19p" "$0"; exit 0 ;;
    *) echo "test_multihost: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$which_case" in all | replicas | cut) ;; *) echo "test_multihost: --case $which_case: want all, replicas or cut" >&2; exit 2 ;; esac

say() { echo "test_multihost: $*"; }
skip() { say "SKIP: $*"; exit 77; }
failed=0
fail() { say "FAIL: $*"; failed=1; }

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
for tool in ip unshare nsenter mpirun python3 timeout; do
  command -v "$tool" >/dev/null || skip "no $tool on PATH (scripts/setup.sh installs it)"
done
if [ -z "$bin" ]; then
  for b in build/profile_throughput build-*/profile_throughput; do
    if [ -x "$b" ]; then bin="$repo/$b"; break; fi
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || skip "no profile_throughput binary (build it, or pass --bin)"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# --- namespaces ----------------------------------------------------------------------------
# Names carry this shell's PID and a random number: tests run in parallel, each with its own
# namespaces, bridge and hosts files. Namespaces of a test that was killed outright (its PID
# gone) are removed here.
for stale in /run/netns/tpbmh-*; do
  [ -e "$stale" ] || continue
  owner="$(basename "$stale" | cut -d- -f2)"
  kill -0 "$owner" 2>/dev/null && continue
  ns="$(basename "$stale")"
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "/etc/netns/$ns"
done

tag="tpbmh-$$-$RANDOM"
work="$(mktemp -d /tmp/tpbench-multihost.XXXXXX)"
chmod 755 "$work"
switch_ns="$tag-sw"
subnet=10.77.0
host_count=3
ahead_s=100000  # host 3's monotonic clock, this many seconds ahead
namespaces=()
uts_files=()

cleanup() {
  local ns p
  for ns in "${namespaces[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  for ns in "${namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  for p in "${uts_files[@]}"; do umount "$p" 2>/dev/null; done
  if [ "$keep" -eq 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

host_name() { echo "$tag-h$1"; }
host_ns() { echo "$tag-h$1"; }

ip netns add "$switch_ns" 2>"$work/netns.err" ||
  skip "cannot create a network namespace: $(head -1 "$work/netns.err")"
namespaces+=("$switch_ns")
ip -n "$switch_ns" link set lo up
ip -n "$switch_ns" link add br0 type bridge || skip "cannot create a bridge in a namespace"
ip -n "$switch_ns" link set br0 up
for i in $(seq $host_count); do
  ns="$(host_ns "$i")"
  ip netns add "$ns" || { fail "ip netns add $ns"; exit 1; }
  namespaces+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$switch_ns" link add "port$i" type veth peer name eth0 netns "$ns" ||
    skip "cannot create a veth pair between namespaces"
  ip -n "$switch_ns" link set "port$i" master br0 up
  ip -n "$ns" addr add "$subnet.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  mkdir -p "/etc/netns/$ns" 2>/dev/null || skip "cannot write /etc/netns/$ns (the hosts' /etc/hosts)"
  {
    echo "127.0.0.1 localhost"
    for j in $(seq $host_count); do echo "$subnet.$j $(host_name "$j")"; done
  } >"/etc/netns/$ns/hosts"
  uts="$work/uts-h$i"
  touch "$uts"
  unshare --uts="$uts" hostname "$(host_name "$i")" || skip "cannot create a UTS namespace"
  uts_files+=("$uts")
done

time_ns=1
unshare --time --monotonic "$ahead_s" --fork true 2>/dev/null || time_ns=0
[ "$time_ns" -eq 1 ] || say "note: no time namespaces here (unshare --time); host 3 keeps the machine's clock"

# enter HOST_INDEX COMMAND...: runs COMMAND as host N sees the world (its network, host name,
# /etc/hosts, and for host 3 its clock).
cat >"$work/enter" <<EOF
#!/usr/bin/env bash
i="\$1"; shift
ahead=()
if [ "\$i" = 3 ] && [ $time_ns = 1 ]; then ahead=(unshare --time --monotonic $ahead_s --fork --); fi
exec nsenter --uts="$work/uts-h\$i" -- ip netns exec "$tag-h\$i" "\${ahead[@]}" "\$@"
EOF
# The rsh agent mpirun calls as "AGENT [options] HOST COMMAND-WORDS...".
cat >"$work/ns-agent" <<EOF
#!/usr/bin/env bash
while [ \$# -gt 0 ] && [ "\${1#-}" != "\$1" ]; do shift; done
host="\$1"; shift
case "\$host" in
  $tag-h[0-9]) i="\${host##*-h}" ;;
  *) echo "ns-agent: unknown host \$host" >&2; exit 255 ;;
esac
exec "$work/enter" "\$i" /bin/sh -c "\$*"
EOF
chmod +x "$work/enter" "$work/ns-agent"

# Every host reaches every other by name over the bridge (TCP, the port is the namespaces' own).
for i in 2 3; do
  "$work/enter" "$i" python3 -c 'import socket; s = socket.create_server(("", 7777)); s.settimeout(10); s.accept()' &
  listener=$!
  ok=0
  for _ in $(seq 50); do
    if "$work/enter" 1 python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], 7777), 2)' \
      "$(host_name "$i")" 2>/dev/null; then ok=1; break; fi
    sleep 0.1
  done
  kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null
  [ "$ok" -eq 1 ] || skip "host 1 cannot reach host $i by name over the namespaces' bridge"
done
say "hosts $(host_name 1) $(host_name 2) $(host_name 3) on $subnet.0/24"

mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none
  --mca plm_rsh_agent "$work/ns-agent" --mca plm_rsh_no_tree_spawn 1
  --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24"
  -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1)

# --- the model and the workload -----------------------------------------------------------
python3 scripts/convert_llama2c.py data/models/stories260K/stories260K.bin "$work/stories260K" \
  >"$work/convert.log" 2>&1 || { cat "$work/convert.log"; say "FAIL: convert stories260K"; exit 1; }
# Token-id prompts of different lengths and contents (stories260K's vocabulary is 512).
python3 - "$work/prompts.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(6):
        ids = [1] + [(37 * i + 11 * k) % 500 + 3 for k in range(1 + 5 * i)]
        f.write(json.dumps({"input_ids": ids, "output_len": 96 + 16 * i}) + "\n")
PY
for i in $(seq $host_count); do echo "$(host_name "$i") slots=1"; done >"$work/hostfile"

# run NAME HOST_INDEX_OF_MPIRUN MPIRUN_ARGS... -- PROGRAM_ARGS...: mpirun started on that host,
# bounded by TPB_RUN_LIMIT seconds; stdout, stderr, exit code and wall seconds under $work/NAME.
run() {
  local name="$1" host="$2"; shift 2
  local mpi_args=() start end
  while [ "$1" != "--" ]; do mpi_args+=("$1"); shift; done
  shift
  mkdir -p "$work/$name"
  start=$(date +%s.%N)
  # In a subshell whose stderr is dropped: bash's own "Killed" note for a SIGKILLed mpirun.
  (
    timeout -s KILL "${TPB_RUN_LIMIT:-120}" "$work/enter" "$host" "${mpi[@]}" "${mpi_args[@]}" \
      "$bin" "$@" >"$work/$name/stdout" 2>"$work/$name/stderr" &
    wait $!
  ) 2>/dev/null
  echo $? >"$work/$name/rc"
  end=$(date +%s.%N)
  echo "$end" >"$work/$name/end_at"
  python3 -c "print(f'{$end - $start:.1f}')" >"$work/$name/wall_s"
}
show() {
  echo "--- $1 exit $(cat "$work/$1/rc") after $(cat "$work/$1/wall_s") s; stderr:"
  tail -n 30 "$work/$1/stderr"
}
program_args() {  # prog=(...): the program's arguments; the output folder, then more options
  local out="$1"; shift
  prog=("$work/prompts.jsonl" "$work/stories260K" --dataset-name token-ids --backend cpu \
    --tp 1 -n 6 -c 6 --csv "" --json "$out/result.json" --requests-out "$out/requests.jsonl" \
    --record-tokens "$@")
}

case_replicas() {
  say "one host: 3 replicas on $(host_name 1)"
  program_args "$work/one_host"
  run one_host 1 -np 3 -- "${prog[@]}"
  if [ "$(cat "$work/one_host/rc")" != 0 ]; then show one_host; fail "the one-host run failed"; return; fi
  say "three hosts: one replica each, $(host_name 3)'s monotonic clock ${ahead_s} s ahead"
  program_args "$work/three_hosts"
  run three_hosts 1 -np 3 --hostfile "$work/hostfile" -- "${prog[@]}"
  if [ "$(cat "$work/three_hosts/rc")" != 0 ]; then show three_hosts; fail "the three-host run failed"; return; fi
  python3 - "$work" "$tag" "$time_ns" <<'PY' || fail "the three-host run's reports"
import json, sys
work, tag, time_ns = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def records(name):
    with open(f"{work}/{name}/requests.jsonl") as f:
        return {r["id"]: r for r in (json.loads(l) for l in f if l.strip())}
one, three = records("one_host"), records("three_hosts")
with open(f"{work}/three_hosts/result.json") as f:
    result = json.load(f)
problems = []
if sorted(one) != list(range(6)) or sorted(three) != list(range(6)):
    problems.append(f"request ids: one host {sorted(one)}, three hosts {sorted(three)}")
for i in sorted(set(one) & set(three)):
    a, b = one[i]["token_ids"], three[i]["token_ids"]
    if a != b:
        first = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        problems.append(f"request {i}: token ids differ from the one-host run's at {first}")
want_hosts = {k: f"{tag}-h{k + 1}" for k in range(3)}
got_hosts = {r["replica"]: r["host"] for r in result["replicas"]}
if got_hosts != want_hosts:
    problems.append(f"replica hosts {got_hosts}, want {want_hosts}")
if sorted(result["environment"]["hosts"]) != sorted(want_hosts.values()):
    problems.append(f"environment hosts {result['environment']['hosts']}")
served = {r["replica"] for r in three.values()}
if served != {0, 1, 2}:
    problems.append(f"requests served by replicas {sorted(served)}, want all three")
for r in three.values():  # ns since each leader's t0: host 3's clock offset must not show
    t = [r["submit_ns"], r["first_token_ns"], r["finish_ns"]] + list(r["token_ns"])
    if min(t) < 0 or not (r["submit_ns"] <= r["first_token_ns"] <= r["finish_ns"]) or \
            r["finish_ns"] > 600e9 or t[3:] != sorted(t[3:]):
        problems.append(f"request {r['id']} (replica {r['replica']}): times {t[:3]}")
skew = result["environment"].get("t0_skew_ns")
if not isinstance(skew, int) or not 0 <= skew < 5e9:
    problems.append(f"t0_skew_ns {skew!r}")
def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items(): walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for k, v in enumerate(node): walk(v, f"{path}[{k}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool) and node < 0:
        problems.append(f"{path} = {node}")
walk(result["metrics"], "metrics")
m = result["metrics"]
if not m.get("ttft"):
    problems.append("no TTFT in the metrics")
elif m["ttft"]["max"] > m["e2e"]["max"] or m["ttft"]["mean"] > m["e2e"]["mean"]:
    problems.append(f"TTFT above E2E: {m['ttft']} {m['e2e']}")
for p in problems:
    print("  " + p)
if problems:
    sys.exit(1)
print(f"test_multihost: ok: {len(three)} requests on 3 hosts match the one-host ids token for "
      f"token; replicas on {[got_hosts[k] for k in range(3)]}; t0 skew {skew} ns"
      + ("" if time_ns else " (no time namespace)"))
PY
}

heartbeat_s=5
grace_s=10  # kLauncherAbortGraceS in coordinator/orchestrator/launcher_watchdog.hpp
case_cut() {
  python3 - "$work/long.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(json.dumps({"input_ids": [1, 3 + i % 500], "output_len": 256}) + "\n")
PY
  say "cut: $(host_name 3)'s link goes down after the first progress line; --heartbeat-timeout $heartbeat_s"
  mkdir -p "$work/cut"
  (
    for _ in $(seq 600); do
      grep -q '^progress:' "$work/cut/stderr" 2>/dev/null && break
      sleep 0.1
    done
    ip -n "$switch_ns" link set port3 down
    date +%s.%N >"$work/cut/cut_at"
  ) &
  local cutter=$!
  TPB_RUN_LIMIT=60 run cut 1 -np 3 --hostfile "$work/hostfile" -- \
    "$work/long.jsonl" "$work/stories260K" --dataset-name token-ids --backend cpu --tp 1 \
    -n 3000 -c 24 --csv "" --json "$work/cut/result.json" --heartbeat-timeout "$heartbeat_s"
  wait "$cutter"
  python3 - "$work/cut" "$(host_name 3)" "$heartbeat_s" "$grace_s" <<'PY' || { show cut; fail "the cut-link run"; }
import json, os, re, sys
out, host, heartbeat, grace = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
slack = 5.0  # a loaded 2-core machine: start-up of the SIGKILL, scheduling
read = lambda name: open(os.path.join(out, name)).read()
rc, cut_at, end_at = int(read("rc")), float(read("cut_at")), float(read("end_at"))
stderr, stdout = read("stderr"), read("stdout")
problems = []
if rc == 0:
    problems.append("mpirun exited 0")
ended = end_at - cut_at
if ended > heartbeat + grace + slack:
    problems.append(f"mpirun ended {ended:.1f} s after the cut, want at most --heartbeat-timeout "
                    f"{heartbeat:g} + grace {grace:g} + {slack:g} s")
line = re.search(r"^profile_throughput: error: rank 2 \(replica 2, host " + re.escape(host) +
                 r"\) stopped answering.*$", stderr, re.M)
if not line:
    problems.append(f"no error line naming rank 2 on {host}")
path = os.path.join(out, "result.json")
if not os.path.exists(path):
    problems.append("no result.json")
else:
    written = os.path.getmtime(path) - cut_at
    result = json.load(open(path))
    if result["complete"] or host not in result.get("incomplete_reason", ""):
        problems.append(f"result.json: complete {result['complete']}, reason "
                        f"{result.get('incomplete_reason')!r}")
    if written > heartbeat + 2:
        problems.append(f"result.json written {written:.1f} s after the cut")
if "INCOMPLETE RUN" not in stdout:
    problems.append("no INCOMPLETE RUN report on stdout")
for p in problems:
    print("  " + p)
if problems:
    sys.exit(1)
print(f"test_multihost: ok: {host} cut: reports {written:.1f} s after the cut, mpirun ended "
      f"{ended:.1f} s after it (exit code {rc}); {line.group(0)}")
PY
}

case "$which_case" in all | replicas) case_replicas ;; esac
case "$which_case" in all | cut) case_cut ;; esac
exit $failed
