#include "engine/openai/token_times.hpp"

#include <algorithm>

namespace tpbench::openai {

std::vector<int64_t> chunk_token_times(int64_t previous_ns, int64_t arrival_ns, int32_t k) {
  const int32_t count = std::max<int32_t>(k, 1);
  std::vector<int64_t> times(static_cast<size_t>(count), arrival_ns);
  if (previous_ns < 0 || previous_ns >= arrival_ns) return times;
  const int64_t gap = arrival_ns - previous_ns;
  for (int32_t j = 1; j < count; ++j)
    times[static_cast<size_t>(j - 1)] = previous_ns + gap * j / count;
  return times;
}

}  // namespace tpbench::openai
