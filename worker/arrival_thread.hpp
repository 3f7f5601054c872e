#pragma once
// Open loop (docs/ARCHITECTURE.md "Arrivals"): a thread that takes each request in at its
// scheduled time, whatever the engine is doing. It sleeps until the request is due (a coarse
// wait, then a spin for the last `spin_ns`), waits for a slot when the replica's share of
// --max-concurrency is in use, stamps the request's submit time and hands it to the leader,
// which adds it to the engine between steps (that wait is the engine's and counts in TTFT).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/workload.hpp"

namespace tpbench {

// A request taken in, on the leader's RunClock (ns since t0).
struct Arrival {
  WorkloadRequest request;
  int64_t queue_ns = 0;   // waited for a --max-concurrency slot, from its scheduled time
  int64_t submit_ns = 0;  // taken in: lag = submit_ns - request.scheduled_ns - queue_ns
};

class ArrivalThread {
 public:
  static constexpr int64_t kDefaultSpinNs = 100'000;

  // max_in_flight: the replica's share of --max-concurrency; 0 = no limit at the harness.
  ArrivalThread(const RunClock& clock, int max_in_flight, int64_t spin_ns = kDefaultSpinNs);
  ~ArrivalThread();  // stops the thread; requests not yet taken in are dropped
  ArrivalThread(const ArrivalThread&) = delete;
  ArrivalThread& operator=(const ArrivalThread&) = delete;

  // Requests to take in, each with scheduled_ns >= 0, in any order: they are taken in by
  // scheduled time (then id).
  void add(std::vector<WorkloadRequest> requests);
  // Appends every request taken in since the last call to `out`. Never blocks.
  void drain(std::vector<Arrival>& out);
  // Blocks until a request has been taken in and not drained, or `timeout_ns` has passed.
  void wait_taken_in(int64_t timeout_ns);
  // A request taken in has ended: its slot is free again.
  void release();
  // Requests added and not yet drained (waiting for their time or a slot, or taken in).
  size_t outstanding() const { return outstanding_.load(std::memory_order_acquire); }

 private:
  struct Due {  // a pending request's place in the heap: earliest scheduled, then lowest id
    int64_t scheduled_ns;
    uint64_t id;
    size_t index;  // in store_
    bool operator>(const Due& o) const {
      return scheduled_ns != o.scheduled_ns ? scheduled_ns > o.scheduled_ns : id > o.id;
    }
  };
  void run();

  const RunClock clock_;
  const int max_in_flight_;
  const int64_t spin_ns_;

  mutable std::mutex mu_;               // guards everything below up to taken_in_
  std::condition_variable wake_;        // the thread: a request added, a slot freed, stop
  std::vector<WorkloadRequest> store_;  // every request added; moved out when taken in
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> pending_;
  int in_flight_ = 0;  // taken in and not released (counted only with a limit)
  bool stop_ = false;

  mutable std::mutex out_mu_;
  std::condition_variable taken_in_cv_;  // the leader: a request taken in
  std::vector<Arrival> taken_in_;
  std::atomic<size_t> outstanding_{0};

  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tpbench
