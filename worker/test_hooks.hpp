#pragma once
// Test-only fault injection, compiled in only with -DTPBENCH_FAULT_INJECTION=ON (scripts/build.sh
// turns it on for the test suite; the device kit's release build leaves it off, and then every
// hook below is a no-op). Driven by environment variables (tests/coordinator/orchestrator uses them):
//   TPBENCH_TEST_CRASH_RANK=r  TPBENCH_TEST_CRASH_AFTER_MS=ms   rank r kills itself (SIGKILL)
//   TPBENCH_TEST_HANG_RANK=r   TPBENCH_TEST_HANG_AFTER_MS=ms    rank r stops itself (SIGSTOP)
//   TPBENCH_TEST_STALL_STEP_RANK=r TPBENCH_TEST_STALL_STEP_AFTER_MS=ms
//                                  leader r's engine step never returns (heartbeats go on)
//   TPBENCH_TEST_FAIL_STEP_RANK=r TPBENCH_TEST_FAIL_STEP_AFTER_MS=ms
//                                  leader r's engine step throws an InternalError, as a CUDA
//                                  failure inside a step does ("injected step failure ...")
//   TPBENCH_TEST_SLOW_START_RANK=r TPBENCH_TEST_SLOW_START_MS=ms
//                                  rank r sleeps ms once its engine is built, before it counts
//                                  as ready (a slow or hung load; heartbeats go on)
//   TPBENCH_TEST_PROTOCOL_VERSION=v [TPBENCH_TEST_PROTOCOL_VERSION_RANK=r]
//                                  rank r (default: every worker rank) claims protocol version v
//   TPBENCH_TEST_SCHEDULE_FILE=path
//                                  an open-loop run without the schedule flags: line i of the
//                                  file is request i's scheduled_ns (ns since t0)
#include <cstdint>
#include <memory>
#include <vector>

#include "common/wire/protocol.hpp"
#include "common/workload.hpp"
#include "engine/engine.hpp"

namespace tpbench {

#if TPBENCH_FAULT_INJECTION

uint32_t protocol_version_for_rank(int rank);

// Call once the engine is built, before the rank reports ready; sleeps for the slow-start hook.
void slow_start_hook(int rank);

// Call at the start of the run (after t0); arms the crash / hang hooks meant for this rank.
void arm_fault_hooks(int rank);

// The engine itself, or (for the stall / fail hooks' rank) one whose step() stops returning, or
// throws, once the hook's time has passed.
std::unique_ptr<Engine> wrap_with_fault_hooks(int rank, std::unique_ptr<Engine> engine);

// Rank 0, once the workload is built: sets every request's scheduled_ns from
// TPBENCH_TEST_SCHEDULE_FILE (InputError naming the file when it is short or malformed).
void test_schedule_hook(std::vector<WorkloadRequest>& requests);

#else

inline uint32_t protocol_version_for_rank(int) {
  return wire::kProtocolVersion;
}
inline void slow_start_hook(int) {}
inline void arm_fault_hooks(int) {}
inline std::unique_ptr<Engine> wrap_with_fault_hooks(int, std::unique_ptr<Engine> engine) {
  return engine;
}
inline void test_schedule_hook(std::vector<WorkloadRequest>&) {}

#endif

}  // namespace tpbench
