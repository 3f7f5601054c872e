#pragma once
// Random but plausible timing records: some failed, some with one token, some without
// per-token times.
#include <random>
#include <string>
#include <vector>

#include "common/records.hpp"

namespace tpbench::test {

inline std::vector<RequestRecord> random_records(uint64_t seed, size_t count) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const std::vector<std::string> reasons{"out_of_kv_cache", "replica_lost", "timeout"};
  std::vector<RequestRecord> records(count);
  for (size_t i = 0; i < count; ++i) {
    RequestRecord& r = records[i];
    r.id = i;
    r.replica = static_cast<int32_t>(uniform(0, 3));
    r.prompt_tokens = static_cast<int32_t>(uniform(4, 1024));
    r.output_tokens = uniform(0, 4) == 0 ? 1 : static_cast<int32_t>(uniform(2, 60));
    r.submit_ns = uniform(0, 5'000'000'000);
    r.scheduled_ns = r.submit_ns;  // a closed loop
    r.first_token_ns = r.submit_ns + uniform(100'000, 2'000'000'000);
    int64_t t = r.first_token_ns;
    const bool with_token_times = uniform(0, 9) != 0;
    for (int32_t k = 0; k < r.output_tokens; ++k) {
      if (k > 0) t += uniform(10'000, 100'000'000);
      if (with_token_times) r.token_ns.push_back(t);
    }
    r.finish_ns = t + uniform(0, 1'000'000);
    r.ok = uniform(0, 6) != 0;
    if (!r.ok) r.error = reasons[uniform(0, 2)];
  }
  return records;
}

}  // namespace tpbench::test
