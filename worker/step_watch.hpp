#pragma once
// When the leader's current engine step began, read by the presence thread for heartbeats.
// A process that is alive but stuck inside one step (a hung collective or GPU kernel) keeps
// heartbeating; this lets the coordinator tell it from a slow but moving one.
#include <atomic>
#include <cstdint>

#include "common/clock.hpp"

namespace tpbench {

class StepWatch {
 public:
  void enter() { started_ns_.store(steady_now_ns(), std::memory_order_relaxed); }
  void leave() { started_ns_.store(0, std::memory_order_relaxed); }
  // How long the step in progress has run; 0 between steps.
  int64_t in_step_ns() const {
    const int64_t started = started_ns_.load(std::memory_order_relaxed);
    return started == 0 ? 0 : steady_now_ns() - started;
  }

 private:
  std::atomic<int64_t> started_ns_{0};
};

}  // namespace tpbench
