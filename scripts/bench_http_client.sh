#!/usr/bin/env bash
# The HTTP transport of --backend openai (engine/openai/http_stream_client) against a zero-cost
# local SSE server (tests/engine/openai/zero_cost_sse_server.cpp, forked): body events per second of
# client CPU with the server writing as fast as it can, then the client's added latency
# (server's steady-clock stamp before send() -> libcurl's write callback) at paced loads. Each
# case runs first with --raw, a bare epoll + recv() client: what the kernel and the scheduler
# cost without libcurl. Env: BUILD_DIR (build), REPEAT (3 runs of each case).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
REPEAT=${REPEAT:-3}
cmake --build "$BUILD_DIR" --target bench_http_client >/dev/null
bench="$BUILD_DIR/tests/engine/openai/bench_http_client"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "## throughput: events as fast as the server writes them, one send() per event"
for streams in 256 1000; do
  for _ in $(seq "$REPEAT"); do
    for client in --raw ""; do
      "$bench" $client --streams "$streams" --requests $((streams * 2)) --events 64
    done
  done
done
echo "## added latency at paced loads"
for _ in $(seq "$REPEAT"); do
  for client in --raw ""; do
    "$bench" $client --latency --streams 1 --requests 5 --events 100 --interval-us 10000
    "$bench" $client --latency --streams 100 --requests 200 --events 100 --interval-us 20000
    "$bench" $client --latency --streams 1000 --requests 1000 --events 50 --interval-us 50000
  done
done
