#include "engine/openai/open_file_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.hpp"

namespace tpbench {

void ensure_open_file_limit(int streams) {
  const rlim_t needed = static_cast<rlim_t>(streams) + kOpenFileReserve;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    throw InternalError(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    throw InputError("the open-file limit is too low: hard RLIMIT_NOFILE " +
                     std::to_string(limit.rlim_max) + " < " + std::to_string(needed) +
                     " descriptors for this rank's " + std::to_string(streams) +
                     " concurrent streams (--concurrency) + " + std::to_string(kOpenFileReserve) +
                     " spare; raise it (ulimit -Hn, limits.conf nofile) or lower --concurrency");
  }
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    throw InputError("could not raise the open-file soft limit (RLIMIT_NOFILE) to " +
                     std::to_string(needed) + ": " + std::strerror(errno));
  }
}

}  // namespace tpbench
