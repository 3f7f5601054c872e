// The GPU sampler (cuda::sample_rows) against its CPU twin, the host sampler's sample_token:
// the same logits, parameters and draws must give the same tokens. Both follow one rule; the
// GPU's exp and its sums' order differ in the last bits, so a draw that lands within ~1e-7 of a
// cumulative boundary may differ: at most 0.5% of draws, and greedy rows always agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "engine/scheduler/sampler.hpp"
#include "kernels/cuda/mask_tokens.cuh"
#include "kernels/cuda/sample_rows.cuh"
#include "tests/engine/cuda/gpu_test_util.hpp"

namespace tpbench {
namespace {

using test::download;
using test::poisoned;
using test::test_seed;
using test::upload;

// Runs `rows` rows of `logits` through the GPU with per-row params; returns its tokens.
// masked: (row, token) pairs set to -inf on the device first (cuda::mask_tokens).
std::vector<int32_t> gpu_tokens(const std::vector<float>& logits, int64_t rows, int64_t vocab,
                                const std::vector<SamplingParams>& cases, uint64_t draw,
                                const std::vector<cuda::MaskedToken>& masked = {}) {
  std::vector<cuda::SampleRowParams> params;
  for (int64_t r = 0; r < rows; ++r) {
    const SamplingParams& c = cases[r];
    if (is_greedy(c)) continue;
    cuda::SampleRowParams p;
    p.row = static_cast<int32_t>(r);
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.temperature = c.temperature;
    p.stream_key = counter_stream_key(c.seed, static_cast<uint64_t>(r));
    p.draw_index = draw;
    params.push_back(p);
  }
  auto d_logits = upload(logits);
  std::vector<unsigned char> param_bytes(params.size() * sizeof(cuda::SampleRowParams));
  if (!params.empty()) std::memcpy(param_bytes.data(), params.data(), param_bytes.size());
  auto d_params = upload(param_bytes);
  const size_t ws_bytes =
      cuda::sample_rows_workspace_bytes(static_cast<int64_t>(params.size()), vocab);
  DeviceArray<unsigned char> ws(std::max<size_t>(ws_bytes, 1));
  auto d_tokens = poisoned<int32_t>(rows);
  if (!masked.empty()) {
    std::vector<unsigned char> masked_bytes(masked.size() * sizeof(cuda::MaskedToken));
    std::memcpy(masked_bytes.data(), masked.data(), masked_bytes.size());
    auto d_masked = upload(masked_bytes);
    cuda::mask_tokens(d_logits.data(), vocab,
                      reinterpret_cast<const cuda::MaskedToken*>(d_masked.data()),
                      static_cast<int>(masked.size()), nullptr);
    CUDA_CHECK(cudaDeviceSynchronize());
  }
  cuda::sample_rows(
      d_logits.data(), rows, vocab, reinterpret_cast<const cuda::SampleRowParams*>(d_params.data()),
      static_cast<int>(params.size()), ws.data(), ws.capacity(), d_tokens.data(), nullptr);
  return download(d_tokens, rows);
}

TEST(CudaSampling, MatchesTheHostSamplerAcrossParameters) {
  TPBENCH_REQUIRE_GPU();
  const uint32_t seed = test_seed();
  SCOPED_TRACE("TPBENCH_TEST_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  const int64_t vocab = 32003;
  const std::vector<SamplingParams> grid = {
      {.top_k = 1, .top_p = 1.0f, .temperature = 1.0f, .seed = 1},      // greedy
      {.top_k = 40, .top_p = 1.0f, .temperature = 0.7f, .seed = 2},     // top-k
      {.top_k = 0, .top_p = 0.9f, .temperature = 1.0f, .seed = 3},      // full-vocabulary top-p
      {.top_k = 50, .top_p = 0.8f, .temperature = 0.8f, .seed = 4},     // both
      {.top_k = 0, .top_p = 1.0f, .temperature = 1.3f, .seed = 5},      // plain softmax
      {.top_k = 2000, .top_p = 0.95f, .temperature = 0.5f, .seed = 6},  // k beyond a block
      {.top_k = 7, .top_p = 0.0f, .temperature = 1.0f, .seed = 7},      // top_p 0: the best one
      {.top_k = 3, .top_p = 1.0f, .temperature = 0.0f, .seed = 8},      // temperature 0: greedy
  };
  int64_t draws = 0, differ = 0, greedy_differ = 0;
  for (int round = 0; round < 6; ++round) {
    const int64_t rows = 37;
    // Peaked logits (a few strong candidates over a long tail), with ties and special values.
    std::vector<float> logits(rows * vocab);
    std::normal_distribution<float> tail(0.0f, 2.0f);
    for (float& x : logits) x = tail(rng);
    std::vector<SamplingParams> cases(rows);
    for (int64_t r = 0; r < rows; ++r) {
      float* row = logits.data() + r * vocab;
      for (int j = 0; j < 5; ++j) row[rng() % vocab] = 8.0f + static_cast<float>(j);
      if (r % 5 == 1) row[rng() % vocab] = row[rng() % vocab] = 12.5f;  // tied best
      if (r % 7 == 2) row[rng() % vocab] = NAN;
      if (r % 7 == 3) row[rng() % vocab] = -INFINITY;
      if (r % 8 == 4) row[rng() % vocab] = NAN;  // on the whole-vocabulary softmax rows
      cases[r] = grid[r % grid.size()];
    }
    const uint64_t draw = static_cast<uint64_t>(round);
    const std::vector<int32_t> got = gpu_tokens(logits, rows, vocab, cases, draw);
    for (int64_t r = 0; r < rows; ++r) {
      const int32_t want =
          sample_token(logits.data() + r * vocab, static_cast<int32_t>(vocab), cases[r],
                       counter_stream_key(cases[r].seed, static_cast<uint64_t>(r)), draw);
      ++draws;
      if (got[r] != want) {
        ++differ;
        greedy_differ += is_greedy(cases[r]);
        std::printf("round %d row %lld (top_k %d top_p %.2f T %.2f): gpu %d host %d\n", round,
                    static_cast<long long>(r), cases[r].top_k, cases[r].top_p, cases[r].temperature,
                    got[r], want);
      }
      ASSERT_GE(got[r], 0);
      ASSERT_LT(got[r], vocab);
    }
  }
  std::printf("gpu sampler agreement with the host sampler: %lld / %lld draws\n",
              static_cast<long long>(draws - differ), static_cast<long long>(draws));
  EXPECT_EQ(greedy_differ, 0);
  EXPECT_LE(differ * 200, draws);
}

// The drawn frequencies follow the distribution the host computes (chi-square, 12 bins).
TEST(CudaSampling, DrawFrequenciesFollowTheDistribution) {
  TPBENCH_REQUIRE_GPU();
  const int64_t vocab = 1000, rows = 256;
  std::vector<float> row(vocab);
  for (int64_t v = 0; v < vocab; ++v) row[v] = -0.05f * static_cast<float>(v % 97);
  const SamplingParams params{.top_k = 12, .top_p = 1.0f, .temperature = 1.0f, .seed = 9};
  std::vector<TokenProb> dist;
  sampling_distribution(row.data(), static_cast<int32_t>(vocab), params, dist);
  ASSERT_EQ(dist.size(), 12u);
  std::vector<float> logits;
  for (int64_t r = 0; r < rows; ++r) logits.insert(logits.end(), row.begin(), row.end());
  std::vector<SamplingParams> cases(rows, params);
  std::vector<int> counts(vocab, 0);
  int64_t n = 0;
  for (uint64_t draw = 0; draw < 40; ++draw)
    for (int32_t t : gpu_tokens(logits, rows, vocab, cases, draw)) {
      ++counts[t];
      ++n;
    }
  double chi2 = 0;
  for (const TokenProb& tp : dist) {
    const double expected = tp.prob * static_cast<double>(n);
    chi2 += (counts[tp.token] - expected) * (counts[tp.token] - expected) / expected;
  }
  int outside = 0;
  for (int64_t v = 0; v < vocab; ++v) outside += counts[v];
  for (const TokenProb& tp : dist) outside -= counts[tp.token];
  EXPECT_EQ(outside, 0) << "tokens drawn outside the top-k";
  // 11 degrees of freedom: P(chi2 > 31.3) = 0.001.
  EXPECT_LT(chi2, 31.3);
}

// Stop tokens masked until min_new_tokens: the GPU's mask_tokens + sample_rows against the host's
// sample_rows with SamplingRow::masked_tokens. The masked tokens are each row's best ones, so
// a mask that misses changes greedy rows and most draws.
TEST(CudaSampling, MaskedTokensAreNeverDrawnAndMatchTheHost) {
  TPBENCH_REQUIRE_GPU();
  const uint32_t seed = test_seed();
  SCOPED_TRACE("TPBENCH_TEST_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  const int64_t vocab = 32000, rows = 24;
  std::vector<float> logits(rows * vocab);
  std::normal_distribution<float> tail(0.0f, 1.0f);
  for (float& x : logits) x = tail(rng);
  std::vector<SamplingParams> cases(rows);
  std::vector<SamplingRow> host_rows(rows);
  std::vector<cuda::MaskedToken> masked;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = logits.data() + r * vocab;
    cases[r] = r % 3 == 0 ? SamplingParams{.top_k = 1, .top_p = 1.0f, .temperature = 1.0f}
                          : SamplingParams{.top_k = r % 3 == 1 ? 4 : 0,
                                           .top_p = 0.9f,
                                           .temperature = 0.8f,
                                           .seed = static_cast<uint64_t>(r)};
    host_rows[r].params = cases[r];
    host_rows[r].stream_key = counter_stream_key(cases[r].seed, static_cast<uint64_t>(r));
    host_rows[r].draw_index = 3;
    const int n_masked = 1 + static_cast<int>(r % kMaxStopTokenIds);
    for (int j = 0; j < n_masked; ++j) {
      const int32_t t = static_cast<int32_t>(rng() % vocab);
      row[t] = 20.0f + static_cast<float>(j);  // far above the rest: the best unless masked
      host_rows[r].masked_tokens.push_back(t);
      masked.push_back({static_cast<int32_t>(r), t});
    }
  }
  std::vector<int32_t> want;
  sample_rows(logits.data(), static_cast<int32_t>(vocab), host_rows, want);
  const std::vector<int32_t> got = gpu_tokens(logits, rows, vocab, cases, 3, masked);
  int differ = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const auto& m = host_rows[r].masked_tokens;
    EXPECT_EQ(std::count(m.begin(), m.end(), got[r]), 0) << "gpu drew masked token, row " << r;
    EXPECT_EQ(std::count(m.begin(), m.end(), want[r]), 0) << "host drew masked token, row " << r;
    if (is_greedy(cases[r])) {
      EXPECT_EQ(got[r], want[r]) << "greedy row " << r;
    }
    differ += got[r] != want[r];
  }
  EXPECT_LE(differ, 1) << "of " << rows << " rows";
}

}  // namespace
}  // namespace tpbench
