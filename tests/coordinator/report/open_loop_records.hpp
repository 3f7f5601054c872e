#pragma once
// Open-loop records for the goodput and validity tests: a known hand-made set and random ones.
#include <random>
#include <vector>

#include "common/records.hpp"
#include "tests/coordinator/report/random_records.hpp"

namespace tpbench::test {

inline constexpr int64_t kMs = 1'000'000;

// A request due at `scheduled` that waited `queue` for a slot and was taken in `lag` late; its
// tokens come at `token_ms` (ms since t0). No tokens: it failed at `failed_at`.
inline RequestRecord open_loop_record(uint64_t id, double scheduled, double queue, double lag,
                                      std::vector<double> token_ms, double failed_at = 0) {
  RequestRecord r;
  r.id = id;
  r.prompt_tokens = 10;
  r.scheduled_ns = static_cast<int64_t>(scheduled * kMs);
  r.queue_ns = static_cast<int64_t>(queue * kMs);
  r.submit_ns = r.scheduled_ns + r.queue_ns + static_cast<int64_t>(lag * kMs);
  for (double t : token_ms) r.token_ns.push_back(static_cast<int64_t>(t * kMs));
  r.output_tokens = static_cast<int32_t>(r.token_ns.size());
  if (r.token_ns.empty()) {
    r.ok = false;
    r.error = "replica 1 lost";
    r.finish_ns = static_cast<int64_t>(failed_at * kMs);
  } else {
    r.first_token_ns = r.token_ns.front();
    r.finish_ns = r.token_ns.back();
  }
  return r;
}

// Four requests (ms): due at 0, 10, 20, 30; queued 0, 5, 20, 0; lag 1, 2, 3, 4.
//   0: tokens at 11, 21, 31  TTFT 10 (11 from scheduled), E2E 30 (31), TPOT 10
//   1: token at 37           TTFT 20 (27), E2E 20 (27), one token: TPOT 0 for goodput
//   2: tokens at 50, 90      TTFT 7 (30), E2E 47 (70), TPOT 40
//   3: failed at 40
// Submits 1, 17, 43, 34: 4 arrivals over 42 ms = 95.238 req/s. Lag P99 = 3.97 ms. Duration 90 ms.
inline std::vector<RequestRecord> known_open_loop_records() {
  return {open_loop_record(0, 0, 0, 1, {11, 21, 31}), open_loop_record(1, 10, 5, 2, {37}),
          open_loop_record(2, 20, 20, 3, {50, 90}), open_loop_record(3, 30, 0, 4, {}, 40)};
}

// random_records() moved into an open loop: each request due queue + lag before its submit,
// half of them queued (up to 2 s), lags mostly under 2 ms with a few of 10-50 ms.
inline std::vector<RequestRecord> random_open_loop_records(uint64_t seed, size_t count) {
  std::vector<RequestRecord> records = random_records(seed, count);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (RequestRecord& r : records) {
    r.queue_ns = uniform(0, 1) == 0 ? 0 : uniform(1, 2'000'000'000);
    const int64_t lag = uniform(0, 49) == 0 ? uniform(10 * kMs, 50 * kMs) : uniform(0, 2 * kMs);
    r.scheduled_ns = r.submit_ns - r.queue_ns - lag;
  }
  return records;
}

}  // namespace tpbench::test
