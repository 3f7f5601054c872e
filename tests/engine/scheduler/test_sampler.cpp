#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "engine/scheduler/sampler.hpp"

namespace tpbench {
namespace {

// The distribution the sampler must draw from, computed here from its definition in doubles:
// top-k by logit (ties: lower id), softmax at the temperature, nucleus cut, renormalise.
std::vector<std::pair<int32_t, double>> expected_distribution(const std::vector<float>& logits,
                                                              const SamplingParams& p) {
  const int32_t vocab = static_cast<int32_t>(logits.size());
  std::vector<int32_t> ids(vocab);
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  const int32_t k = p.top_k <= 0 || p.top_k > vocab ? vocab : p.top_k;
  ids.resize(k);
  std::vector<double> w(k);
  double z = 0;
  for (int32_t i = 0; i < k; ++i)
    z += w[i] = std::exp((logits[ids[i]] - logits[ids[0]]) / p.temperature);
  std::vector<std::pair<int32_t, double>> out;
  double cum = 0;
  for (int32_t i = 0; i < k; ++i) {
    out.push_back({ids[i], w[i] / z});
    cum += w[i] / z;
    if (p.top_p < 1.0f && cum >= p.top_p) break;
  }
  for (auto& e : out) e.second /= cum;
  return out;
}

std::vector<float> random_logits(std::mt19937& rng, int32_t vocab, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> l(vocab);
  for (float& x : l) x = normal(rng);
  return l;
}

TEST(Sampler, GreedyPicksArgmaxLowestIdOnTies) {
  const std::vector<float> logits{1.0f, 3.0f, -2.0f, 3.0f, 2.9f};
  EXPECT_EQ(argmax_token(logits.data(), 5), 1);
  SamplingParams top1{.top_k = 1, .top_p = 0.5f, .temperature = 2.0f, .seed = 0};
  SamplingParams cold{.top_k = 40, .top_p = 0.9f, .temperature = 0.0f, .seed = 0};
  EXPECT_TRUE(is_greedy(top1));
  EXPECT_TRUE(is_greedy(cold));
  for (uint64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(sample_token(logits.data(), 5, top1, counter_stream_key(1, 2), i), 1);
    EXPECT_EQ(sample_token(logits.data(), 5, cold, counter_stream_key(1, 2), i), 1);
  }
  std::mt19937 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    auto l = random_logits(rng, 1000, 3.0f);
    l[rng() % 1000] = 50.0f;
    EXPECT_EQ(argmax_token(l.data(), 1000), std::max_element(l.begin(), l.end()) - l.begin());
  }
}

TEST(Sampler, TopKNeverLeavesTheTopK) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    const int32_t vocab = 50;
    auto logits = random_logits(rng, vocab, 1.0f);
    SamplingParams p{.top_k = 1 + trial % 7, .top_p = 1.0f, .temperature = 5.0f, .seed = 3};
    std::vector<int32_t> ids(vocab);
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(),
                     [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    const std::set<int32_t> allowed(ids.begin(), ids.begin() + p.top_k);
    std::set<int32_t> seen;
    for (uint64_t i = 0; i < 2000; ++i) {
      const int32_t t = sample_token(logits.data(), vocab, p, counter_stream_key(p.seed, trial), i);
      ASSERT_TRUE(allowed.count(t)) << "token " << t << " outside top " << p.top_k;
      seen.insert(t);
    }
    EXPECT_EQ(seen, allowed);  // hot temperature: every survivor turns up
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  std::mt19937 rng(21);
  std::vector<TokenProb> dist;
  for (int trial = 0; trial < 200; ++trial) {
    // Large flat vocabularies push the nucleus past the sampler's first sorted head.
    const int32_t vocab = trial % 4 == 0 ? 5000 : 2 + static_cast<int32_t>(rng() % 300);
    auto logits = random_logits(rng, vocab, trial % 4 == 0 ? 0.3f : 2.0f);
    SamplingParams p;
    p.top_k = static_cast<int32_t>(rng() % 3 == 0 ? 0 : 1 + rng() % vocab);
    p.top_p = std::uniform_real_distribution<float>(0.05f, 1.0f)(rng);
    p.temperature = std::uniform_real_distribution<float>(0.3f, 2.0f)(rng);
    if (p.top_k == 1) p.top_k = 2;
    sampling_distribution(logits.data(), vocab, p, dist);
    const auto want = expected_distribution(logits, p);
    ASSERT_EQ(dist.size(), want.size()) << "trial " << trial;
    double sum = 0;
    for (size_t i = 0; i < dist.size(); ++i) {
      EXPECT_EQ(dist[i].token, want[i].first);
      EXPECT_NEAR(dist[i].prob, want[i].second, 1e-5);
      if (i > 0) {
        EXPECT_GE(dist[i - 1].prob, dist[i].prob);
      }
      sum += dist[i].prob;
    }
    EXPECT_NEAR(sum, 1.0, 1e-4);
  }
}

TEST(Sampler, TopPMassPropertyAgainstFullSoftmax) {
  // Independent of the test's own reference: the kept set's mass (under softmax over the
  // top-k) reaches top_p, and dropping its least likely member falls below it.
  std::mt19937 rng(8);
  std::vector<TokenProb> dist;
  for (int trial = 0; trial < 100; ++trial) {
    const int32_t vocab = 100;
    auto logits = random_logits(rng, vocab, 1.5f);
    SamplingParams p{.top_k = 0, .top_p = 0.1f + 0.008f * trial, .temperature = 1.0f, .seed = 0};
    sampling_distribution(logits.data(), vocab, p, dist);
    double z = 0;
    for (float l : logits) z += std::exp(static_cast<double>(l));
    double mass = 0, smallest = 1;
    for (const TokenProb& tp : dist) {
      const double q = std::exp(static_cast<double>(logits[tp.token])) / z;
      mass += q;
      smallest = std::min(smallest, q);
    }
    EXPECT_GE(mass, p.top_p - 1e-6);
    EXPECT_LT(mass - smallest, p.top_p + 1e-6);
  }
}

// Pearson chi-square of `draws` samples against the exact distribution. The seed is fixed, so
// the statistic is a constant: the test cannot flake, and a wrong distribution lands far above
// the p = 0.001 critical value.
double chi_square(const std::vector<float>& logits, const SamplingParams& p, int draws,
                  uint64_t request_id, size_t* kept, int* outside) {
  const auto want = expected_distribution(logits, p);
  std::vector<int> counts(logits.size(), 0);
  const uint64_t key = counter_stream_key(p.seed, request_id);
  for (int i = 0; i < draws; ++i)
    ++counts[sample_token(logits.data(), static_cast<int32_t>(logits.size()), p, key, i)];
  double chi = 0;
  int in_set = 0;
  for (const auto& [token, prob] : want) {
    const double expected = prob * draws;
    chi += (counts[token] - expected) * (counts[token] - expected) / expected;
    in_set += counts[token];
  }
  *kept = want.size();
  *outside = draws - in_set;
  return chi;
}

TEST(Sampler, FrequenciesMatchExactProbabilities) {
  const std::vector<float> logits{2.0f, 1.0f, 0.5f, 0.0f, -1.0f, 3.0f, 1.0f, -3.0f};
  // Critical values of chi-square at p = 0.001 for 1..7 degrees of freedom.
  const double critical[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32};
  const SamplingParams cases[] = {
      {.top_k = 0, .top_p = 1.0f, .temperature = 1.0f, .seed = 123},
      {.top_k = 5, .top_p = 1.0f, .temperature = 0.8f, .seed = 7},
      {.top_k = 6, .top_p = 0.9f, .temperature = 1.5f, .seed = 99},
      {.top_k = 0, .top_p = 0.8f, .temperature = 0.7f, .seed = 4242},
  };
  for (const SamplingParams& p : cases) {
    size_t kept = 0;
    int outside = 0;
    const double chi = chi_square(logits, p, 40000, 9, &kept, &outside);
    ASSERT_GE(kept, 2u);
    EXPECT_EQ(outside, 0) << "drew tokens outside the kept set";
    EXPECT_LT(chi, critical[kept - 1])
        << "top_k " << p.top_k << " top_p " << p.top_p << " temperature " << p.temperature;
  }
  // A sampler drawing from the wrong distribution fails this check: plain softmax without the
  // temperature is rejected for the temperature-0.7 case.
  const SamplingParams hot{.top_k = 0, .top_p = 0.8f, .temperature = 0.7f, .seed = 4242};
  const SamplingParams neutral{.top_k = 0, .top_p = 0.8f, .temperature = 1.0f, .seed = 4242};
  auto want = expected_distribution(logits, neutral);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < 40000; ++i)
    ++counts[sample_token(logits.data(), 8, hot, counter_stream_key(hot.seed, 9), i)];
  double chi = 0;
  for (const auto& [token, prob] : want)
    chi += (counts[token] - prob * 40000) * (counts[token] - prob * 40000) / (prob * 40000);
  EXPECT_GT(chi, critical[want.size() - 1]);
}

TEST(Sampler, DrawsArePureFunctionsOfSeedRequestAndIndex) {
  std::mt19937 rng(2);
  auto logits = random_logits(rng, 64, 1.0f);
  SamplingParams p{.top_k = 20, .top_p = 0.95f, .temperature = 1.0f, .seed = 5};
  const uint64_t key = counter_stream_key(5, 17);
  EXPECT_EQ(key, counter_stream_key(5, 17));
  EXPECT_NE(key, counter_stream_key(5, 18));
  EXPECT_NE(key, counter_stream_key(6, 17));
  int differ = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    const int32_t a = sample_token(logits.data(), 64, p, key, i);
    EXPECT_EQ(a, sample_token(logits.data(), 64, p, key, i));
    differ += a != sample_token(logits.data(), 64, p, counter_stream_key(5, 18), i);
    const double u = counter_uniform(key, i);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  EXPECT_GT(differ, 50);  // other request, other stream
}

}  // namespace
}  // namespace tpbench

namespace tpbench {
namespace {

TEST(Sampler, ArgmaxTiesAcrossVectorLanesAndChunks) {
  std::mt19937 rng(31);
  for (int32_t vocab : {1, 2, 3, 5, 7, 63, 64, 65, 511, 512, 513, 1025, 4099, 32000}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> l(vocab);
      for (float& x : l) x = static_cast<float>(rng() % 7);  // heavy ties
      if (trial % 2) {
        l[rng() % vocab] = 9.0f;
        l[rng() % vocab] = 9.0f;
      }
      const int32_t want = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
      ASSERT_EQ(argmax_token(l.data(), vocab), want) << "vocab " << vocab;
    }
  }
  std::vector<float> neg(100, -std::numeric_limits<float>::infinity());
  neg[70] = -1e30f;
  EXPECT_EQ(argmax_token(neg.data(), 100), 70);
  neg[80] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(argmax_token(neg.data(), 100), 70);
}

TEST(Sampler, TopKSelectionMatchesASortWithTies) {
  // Both selection paths (k up to vocab / 64 and beyond), on rows full of equal logits.
  std::mt19937 rng(41);
  std::vector<TokenProb> dist;
  for (int32_t vocab : {40, 700, 5000}) {
    for (int32_t k : {1, 2, 5, 10, 11, 78, 79, 80, 300, 4999}) {
      if (k >= vocab) continue;
      std::vector<float> l(vocab);
      for (float& x : l) x = static_cast<float>(rng() % 13) * 0.5f;
      SamplingParams p{.top_k = k == 1 ? 2 : k, .top_p = 1.0f, .temperature = 1.0f, .seed = 0};
      sampling_distribution(l.data(), vocab, p, dist);
      const auto want = expected_distribution(l, p);
      ASSERT_EQ(dist.size(), want.size());
      for (size_t i = 0; i < dist.size(); ++i)
        ASSERT_EQ(dist[i].token, want[i].first)
            << "vocab " << vocab << " k " << p.top_k << " at " << i;
    }
  }
}

}  // namespace
}  // namespace tpbench

namespace tpbench {
namespace {

// A NaN logit weighs nothing on every path (top-k or the whole vocabulary, with or without
// top-p), so the draws follow the distribution of the other logits.
TEST(Sampler, NanLogitsWeighNothingOnEveryPath) {
  const std::vector<float> clean = {1.0f, 0.5f, 2.0f, -1.0f, 1.5f, 0.0f};
  std::vector<float> with_nan = clean;
  with_nan.push_back(std::numeric_limits<float>::quiet_NaN());
  for (const SamplingParams& p :
       {SamplingParams{.top_k = 0, .top_p = 1.0f, .temperature = 1.0f, .seed = 3},
        SamplingParams{.top_k = 0, .top_p = 0.9f, .temperature = 1.0f, .seed = 3},
        SamplingParams{.top_k = 4, .top_p = 1.0f, .temperature = 1.0f, .seed = 3},
        SamplingParams{.top_k = 7, .top_p = 0.9f, .temperature = 0.7f, .seed = 3}}) {
    SCOPED_TRACE("top_k " + std::to_string(p.top_k) + " top_p " + std::to_string(p.top_p));
    std::vector<TokenProb> want, got;
    SamplingParams clean_p = p;
    if (clean_p.top_k > 6) clean_p.top_k = 0;
    sampling_distribution(clean.data(), 6, clean_p, want);
    sampling_distribution(with_nan.data(), 7, p, got);
    // The NaN token may trail with probability 0; the live part is the clean distribution.
    while (!got.empty() && got.back().prob == 0.0f) got.pop_back();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].token, want[i].token);
      EXPECT_NEAR(got[i].prob, want[i].prob, 1e-6);
    }
    for (uint64_t i = 0; i < 500; ++i)
      EXPECT_NE(sample_token(with_nan.data(), 7, p, 99, i), 6) << "draw " << i;
  }
}

// SamplingRow::masked_tokens: the row is sampled as if those logits were -inf, the caller's
// logits untouched; greedy takes the best unmasked token; a draw never returns a masked one even
// where rounding leaves u past the last partial sum.
TEST(Sampler, MaskedTokensAreSampledAsMinusInfinity) {
  const int32_t vocab = 300;
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 1.5f);
  std::vector<float> logits(4 * vocab);
  for (float& x : logits) x = dist(rng);
  std::vector<SamplingRow> rows(4);
  rows[0].params = {.top_k = 1, .top_p = 1.0f, .temperature = 1.0f};
  rows[1].params = {.top_k = 5, .top_p = 1.0f, .temperature = 0.9f, .seed = 1};
  rows[2].params = {.top_k = 0, .top_p = 0.7f, .temperature = 1.2f, .seed = 2};
  rows[3].params = {.top_k = 0, .top_p = 1.0f, .temperature = 1.0f, .seed = 3};
  for (size_t r = 0; r < rows.size(); ++r) {
    float* row = logits.data() + r * vocab;
    for (int j = 0; j < 3; ++j) {
      const int32_t t = static_cast<int32_t>(rng() % vocab);
      row[t] = 9.0f + static_cast<float>(j);  // the best three: drawn nearly always unmasked
      rows[r].masked_tokens.push_back(t);
    }
    rows[r].stream_key = counter_stream_key(rows[r].params.seed, r);
  }
  const std::vector<float> before = logits;
  for (uint64_t draw = 0; draw < 200; ++draw) {
    for (auto& row : rows) row.draw_index = draw;
    std::vector<int32_t> got;
    sample_rows(logits.data(), vocab, rows, got);
    ASSERT_EQ(logits, before) << "sample_rows changed the caller's logits";
    for (size_t r = 0; r < rows.size(); ++r) {
      std::vector<float> masked(before.begin() + r * vocab, before.begin() + (r + 1) * vocab);
      for (int32_t t : rows[r].masked_tokens) masked[t] = -std::numeric_limits<float>::infinity();
      const int32_t want =
          sample_token(masked.data(), vocab, rows[r].params, rows[r].stream_key, draw);
      EXPECT_EQ(got[r], want) << "row " << r << " draw " << draw;
      const auto& m = rows[r].masked_tokens;
      EXPECT_EQ(std::count(m.begin(), m.end(), got[r]), 0) << "row " << r << " draw " << draw;
    }
  }
  // Every logit but one masked: that one, whatever the draw.
  std::vector<float> two = {1.0f, 5.0f};
  SamplingRow only;
  only.params = {.top_k = 0, .top_p = 1.0f, .temperature = 1.0f, .seed = 4};
  only.masked_tokens = {1};
  for (uint64_t draw = 0; draw < 50; ++draw) {
    only.draw_index = draw;
    std::vector<int32_t> got;
    sample_rows(two.data(), 2, {only}, got);
    EXPECT_EQ(got[0], 0);
  }
}

}  // namespace
}  // namespace tpbench
