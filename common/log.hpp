#pragma once
// Minimal stderr logging: one line per call, written with a single write() so lines from
// several threads or ranks never interleave mid-line.
#include <string>

namespace tpbench {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_log_level(LogLevel level);
void set_log_prefix(std::string prefix);  // e.g. "rank 3"
void log_line(LogLevel level, const std::string& msg);

inline void log_info(const std::string& m) { log_line(LogLevel::kInfo, m); }
inline void log_warn(const std::string& m) { log_line(LogLevel::kWarn, m); }
inline void log_error(const std::string& m) { log_line(LogLevel::kError, m); }
inline void log_debug(const std::string& m) { log_line(LogLevel::kDebug, m); }

}  // namespace tpbench
