#pragma once
#include <cstdint>

namespace tpbench::cpu {

// Loops with less work than this (in multiply-adds or elements) run on one thread: waking the
// OpenMP team costs more than it saves, and on a busy machine a descheduled thread stalls the
// whole team at the barrier.
inline constexpr int64_t kParallelMinWork = int64_t{1} << 16;

}  // namespace tpbench::cpu
