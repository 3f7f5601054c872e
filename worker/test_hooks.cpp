#include "worker/test_hooks.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace tpbench {
namespace {

bool env_int(const char* name, long* out) {
  const char* v = std::getenv(name);
  if (!v || !*v) return false;
  *out = std::strtol(v, nullptr, 10);
  return true;
}

void arm(const char* rank_var, const char* after_var, int rank, int signal, const char* what) {
  long target = -1, after_ms = 0;
  if (!env_int(rank_var, &target) || target != rank) return;
  env_int(after_var, &after_ms);
  std::thread([=] {
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    log_warn(std::string("test hook: ") + what + " rank " + std::to_string(rank));
    std::raise(signal);
  }).detach();
}

class FaultyStepEngine final : public EngineDecorator {
 public:
  enum class Fault { kStall, kFail };
  FaultyStepEngine(std::unique_ptr<Engine> inner, Fault fault, SteadyClock::time_point at)
      : EngineDecorator(std::move(inner)), fault_(fault), at_(at) {}
  StepResult step() override {
    if (SteadyClock::now() >= at_) {
      if (fault_ == Fault::kFail)
        throw InternalError("injected step failure (TPBENCH_TEST_FAIL_STEP_RANK)");
      log_warn("test hook: this leader's engine step stalls from now on");
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return inner_->step();
  }

 private:
  Fault fault_;
  SteadyClock::time_point at_;
};

}  // namespace

std::unique_ptr<Engine> wrap_with_fault_hooks(int rank, std::unique_ptr<Engine> engine) {
  using Fault = FaultyStepEngine::Fault;
  for (const auto& [rank_var, after_var, fault] :
       {std::tuple{"TPBENCH_TEST_STALL_STEP_RANK", "TPBENCH_TEST_STALL_STEP_AFTER_MS",
                   Fault::kStall},
        std::tuple{"TPBENCH_TEST_FAIL_STEP_RANK", "TPBENCH_TEST_FAIL_STEP_AFTER_MS",
                   Fault::kFail}}) {
    long target = -1, after_ms = 0;
    if (!env_int(rank_var, &target) || target != rank) continue;
    env_int(after_var, &after_ms);
    return std::make_unique<FaultyStepEngine>(
        std::move(engine), fault, SteadyClock::now() + std::chrono::milliseconds(after_ms));
  }
  return engine;
}

uint32_t protocol_version_for_rank(int rank) {
  long version = 0, only_rank = -1;
  if (!env_int("TPBENCH_TEST_PROTOCOL_VERSION", &version)) return wire::kProtocolVersion;
  if (env_int("TPBENCH_TEST_PROTOCOL_VERSION_RANK", &only_rank) && only_rank != rank)
    return wire::kProtocolVersion;
  return static_cast<uint32_t>(version);
}

void slow_start_hook(int rank) {
  long target = -1, ms = 0;
  if (!env_int("TPBENCH_TEST_SLOW_START_RANK", &target) || target != rank) return;
  env_int("TPBENCH_TEST_SLOW_START_MS", &ms);
  log_warn("test hook: rank " + std::to_string(rank) + " sleeps " + std::to_string(ms) +
           " ms before it is ready");
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void test_schedule_hook(std::vector<WorkloadRequest>& requests) {
  const char* path = std::getenv("TPBENCH_TEST_SCHEDULE_FILE");
  if (!path || !*path) return;
  std::ifstream in(path);
  if (!in) throw InputError(std::string("TPBENCH_TEST_SCHEDULE_FILE ") + path + ": cannot open");
  for (auto& r : requests) {
    int64_t ns = -1;
    if (!(in >> ns) || ns < 0)
      throw InputError(std::string("TPBENCH_TEST_SCHEDULE_FILE ") + path + ": line " +
                       std::to_string(r.id + 1) + " is not a time >= 0 in ns");
    r.scheduled_ns = ns;
  }
  log_warn(std::string("test hook: open-loop schedule from ") + path);
}

void arm_fault_hooks(int rank) {
  arm("TPBENCH_TEST_CRASH_RANK", "TPBENCH_TEST_CRASH_AFTER_MS", rank, SIGKILL, "killing");
  arm("TPBENCH_TEST_HANG_RANK", "TPBENCH_TEST_HANG_AFTER_MS", rank, SIGSTOP, "stopping");
}

}  // namespace tpbench
