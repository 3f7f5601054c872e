#include "worker/test_hooks.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/log.hpp"
#include "common/wire/protocol.hpp"

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

}  // namespace

uint32_t protocol_version_for_rank(int rank) {
  long version = 0, only_rank = -1;
  if (!env_int("TPBENCH_TEST_PROTOCOL_VERSION", &version)) return wire::kProtocolVersion;
  if (env_int("TPBENCH_TEST_PROTOCOL_VERSION_RANK", &only_rank) && only_rank != rank)
    return wire::kProtocolVersion;
  return static_cast<uint32_t>(version);
}

void arm_fault_hooks(int rank) {
  arm("TPBENCH_TEST_CRASH_RANK", "TPBENCH_TEST_CRASH_AFTER_MS", rank, SIGKILL, "killing");
  arm("TPBENCH_TEST_HANG_RANK", "TPBENCH_TEST_HANG_AFTER_MS", rank, SIGSTOP, "stopping");
}

}  // namespace tpbench
