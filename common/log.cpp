#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <mutex>

namespace tpbench {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_prefix_mu;
std::string g_prefix;  // guarded by g_prefix_mu

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warning";
    case LogLevel::kError: return "error";
  }
  return "?";
}
}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }

void set_log_prefix(std::string prefix) {
  std::lock_guard<std::mutex> lock(g_prefix_mu);
  g_prefix = std::move(prefix);
}

void log_line(LogLevel level, const std::string& msg) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line = "tpbench";
  {
    std::lock_guard<std::mutex> lock(g_prefix_mu);
    if (!g_prefix.empty()) line += " [" + g_prefix + "]";
  }
  line += ": ";
  if (level != LogLevel::kInfo) line += std::string(level_name(level)) + ": ";
  line += msg;
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace tpbench
