#pragma once
#include <chrono>
#include <cstdint>

namespace tpbench {

using SteadyClock = std::chrono::steady_clock;

inline int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the run's t0 (each rank's steady clock at the start barrier's exit).
class RunClock {
 public:
  RunClock() : t0_ns_(steady_now_ns()) {}
  explicit RunClock(int64_t t0_ns) : t0_ns_(t0_ns) {}
  int64_t t0_ns() const { return t0_ns_; }
  int64_t now() const { return steady_now_ns() - t0_ns_; }
  // A steady_now_ns() reading (an engine's token time) as ns since t0.
  int64_t since_t0(int64_t steady_ns) const { return steady_ns - t0_ns_; }

 private:
  int64_t t0_ns_;
};

}  // namespace tpbench
