#pragma once
// The TP leader's loop (docs/ARCHITECTURE.md "Request semantics", "Arrivals"). Closed loop
// (requests without a scheduled time): `slots` request slots; each slot takes the next request
// when its previous one ends. Open loop (every request has scheduled_ns >= 0): an arrival thread
// takes each request in at its scheduled time (at most `max_in_flight` at once) and the loop adds
// it to the engine between steps. The engine is stepped until every request has finished or
// failed; timing records stream to the coordinator in batches.
#include <cstdint>
#include <optional>

#include "common/clock.hpp"
#include "common/wire/messages.hpp"
#include "engine/engine.hpp"
#include "worker/arrival_thread.hpp"
#include "worker/step_watch.hpp"

namespace tpbench {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void push_records(wire::RecordBatchMsg& batch) = 0;
};

// Where a dynamic-dispatch leader gets its next requests.
class WorkSource {
 public:
  virtual ~WorkSource() = default;
  virtual void request_work(int max_requests) = 0;
  virtual std::optional<wire::WorkMsg> poll_work(int timeout_ms) = 0;
};

// Tells the leader the coordinator ended the run (--timeout): it takes no more requests and
// abandons those in flight (they are not reported).
class StopSignal {
 public:
  virtual ~StopSignal() = default;
  virtual bool stop_requested() = 0;
};

struct LeaderConfig {
  int replica = 0;
  int slots = 1;          // closed loop: requests in flight; either loop: work batch size
  int max_in_flight = 0;  // open loop: the replica's share of --max-concurrency; 0 = no limit
  int64_t arrival_spin_ns = ArrivalThread::kDefaultSpinNs;  // open loop: spin before each arrival
  bool stream_output = true;                                // record every token's time (ITL)
  bool record_tokens = false;
  SamplingParams sampling;  // seed: the run's; each request's stream is seed + id
  size_t batch_records = 64;
  int64_t batch_interval_ns = 50'000'000;
  StepWatch* step_watch = nullptr;  // told when each engine step begins and ends
  StopSignal* stop = nullptr;       // checked before each step
};

struct LeaderResult {
  uint64_t records_sent = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t abandoned = 0;  // in flight or queued when the coordinator said stop
  bool stopped = false;    // the coordinator said stop before every request ended
};

// go.dynamic: requests come from `work`; otherwise go.shard is the whole share.
LeaderResult run_leader_loop(Engine& engine, const LeaderConfig& config, wire::GoMsg go,
                             RecordSink& sink, WorkSource* work, const RunClock& clock);

}  // namespace tpbench
