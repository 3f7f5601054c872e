#include "engine/scheduler/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/counter_rng.hpp"
#include "common/error.hpp"

namespace tpbench {
namespace {

struct Candidate {
  float logit;
  int32_t token;
  float weight;  // exp((logit - max) / temperature)
};

// Higher logit first; equal logits: lower id first. A strict total order, so the selected set
// never depends on the selection algorithm.
bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.token < b.token);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TPBENCH_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TPBENCH_SIMD_CLONES
#endif

// Max of x[0, n) (NaN ignored). Four independent vector chains over the four quarters hide
// the latency of the max instruction; clones pick the widest vectors the CPU has.
TPBENCH_SIMD_CLONES float block_max(const float* x, int32_t n) {
  const int32_t q = n / 4;
  float m0 = -std::numeric_limits<float>::infinity(), m1 = m0, m2 = m0, m3 = m0;
#pragma omp simd reduction(max : m0, m1, m2, m3)
  for (int32_t i = 0; i < q; ++i) {
    m0 = x[i] > m0 ? x[i] : m0;
    m1 = x[i + q] > m1 ? x[i + q] : m1;
    m2 = x[i + 2 * q] > m2 ? x[i + 2 * q] : m2;
    m3 = x[i + 3 * q] > m3 ? x[i + 3 * q] : m3;
  }
  for (int32_t i = 4 * q; i < n; ++i) m0 = x[i] > m0 ? x[i] : m0;
  m0 = m1 > m0 ? m1 : m0;
  m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

constexpr int32_t kBlock = 64;

// Streaming top-k for large k: keeps at most 2k candidates and, once it has k, admits only
// logits above the worst kept one. A later token (higher id) with a logit equal to that
// threshold ranks after it, so skipping it is exact.
void stream_top_k(const float* logits, int32_t vocab, int32_t k, std::vector<Candidate>& cand) {
  const size_t cap = 2 * static_cast<size_t>(k);
  float threshold = -std::numeric_limits<float>::infinity();
  bool have_threshold = false;
  for (int32_t v = 0; v < vocab; ++v) {
    const float x = logits[v];
    if (have_threshold && !(x > threshold)) continue;
    if (x != x) continue;  // NaN
    cand.push_back({x, v, 0.0f});
    if (cand.size() == cap) {
      std::nth_element(cand.begin(), cand.begin() + (k - 1), cand.end(), ranks_before);
      cand.resize(k);
      threshold = cand[k - 1].logit;
      have_threshold = true;
    }
  }
}

// The k best candidates of the row, unsorted. For k up to the block count: the k-th largest
// block maximum is a floor no top-k logit is below (k blocks each hold a logit at or above
// it), so only the blocks reaching it are scanned.
void select_top_k(const float* logits, int32_t vocab, int32_t k, std::vector<Candidate>& cand) {
  thread_local std::vector<float> block_maxes, scratch;
  cand.clear();
  const int32_t blocks = (vocab + kBlock - 1) / kBlock;
  if (k > blocks) {
    stream_top_k(logits, vocab, k, cand);
  } else {
    block_maxes.resize(blocks);
    for (int32_t b = 0; b < blocks; ++b)
      block_maxes[b] = block_max(logits + b * kBlock, std::min(kBlock, vocab - b * kBlock));
    scratch = block_maxes;
    std::nth_element(scratch.begin(), scratch.begin() + (k - 1), scratch.end(),
                     [](float a, float b) { return a > b; });
    const float floor = scratch[k - 1];
    for (int32_t b = 0; b < blocks; ++b) {
      if (!(block_maxes[b] >= floor)) continue;
      const int32_t end = std::min(vocab, (b + 1) * kBlock);
      for (int32_t v = b * kBlock; v < end; ++v)
        if (logits[v] >= floor) cand.push_back({logits[v], v, 0.0f});
    }
  }
  if (cand.size() > static_cast<size_t>(k)) {
    std::nth_element(cand.begin(), cand.begin() + (k - 1), cand.end(), ranks_before);
    cand.resize(k);
  }
}

}  // namespace

int32_t argmax_token(const float* logits, int32_t vocab_size) {
  // Max per chunk (vectorised); the first chunk holding the overall max is rescanned for its
  // first position, so ties go to the lowest id with one pass over the row.
  constexpr int32_t kChunk = 512;
  float best = -std::numeric_limits<float>::infinity();
  int32_t best_chunk = -1;
  for (int32_t c = 0; c < vocab_size; c += kChunk) {
    const float m = block_max(logits + c, std::min(kChunk, vocab_size - c));
    if (m > best) {
      best = m;
      best_chunk = c;
    }
  }
  if (best_chunk < 0) return 0;  // every logit -inf or NaN
  const int32_t end = std::min(vocab_size, best_chunk + kChunk);
  for (int32_t v = best_chunk; v < end; ++v)
    if (logits[v] == best) return v;
  return 0;  // the row holds only NaN and -inf
}

void sampling_distribution(const float* logits, int32_t vocab, const SamplingParams& params,
                           std::vector<TokenProb>& out) {
  thread_local std::vector<Candidate> cand;
  const int32_t k = params.top_k <= 0 || params.top_k > vocab ? vocab : params.top_k;
  if (k < vocab) {
    select_top_k(logits, vocab, k, cand);
  } else {
    cand.resize(vocab);
    for (int32_t v = 0; v < vocab; ++v) {
      const float x = logits[v];  // NaN weighs nothing, as the top-k path drops it
      cand[v] = {x != x ? -std::numeric_limits<float>::infinity() : x, v, 0.0f};
    }
  }
  const float max_logit =
      cand.empty()
          ? -std::numeric_limits<float>::infinity()
          : std::max_element(cand.begin(), cand.end(), [](const Candidate& a, const Candidate& b) {
              return a.logit < b.logit;
            })->logit;
  if (!std::isfinite(max_logit)) {  // nothing finite to weigh
    out.assign(1, {argmax_token(logits, vocab), 1.0f});
    return;
  }

  // Softmax at the temperature over the survivors.
  const float inv_t = 1.0f / params.temperature;
  double total = 0;
  for (Candidate& c : cand) {
    c.weight = std::exp((c.logit - max_logit) * inv_t);
    total += c.weight;
  }
  const auto first = cand.begin();
  const auto last = cand.end();
  const int32_t n = static_cast<int32_t>(cand.size());

  // The nucleus: sort a growing head of the survivors until its mass reaches top_p, so a
  // full-vocabulary top-p rarely sorts the whole vocabulary.
  int32_t keep = n;
  double kept_mass = total;
  if (params.top_p < 1.0f) {
    const double target = static_cast<double>(params.top_p) * total;
    int32_t sorted = 0;
    int32_t head = std::min(n, 64);
    double cum = 0;
    int32_t i = 0;
    for (;;) {
      // [sorted, head) becomes the best of the rest, in order; [0, sorted) already is.
      std::partial_sort(first + sorted, first + head, last, ranks_before);
      sorted = head;
      while (i < head && cum < target) cum += cand[i++].weight;
      if (cum >= target || head == n) {
        keep = std::max(i, 1);
        kept_mass = keep == i ? cum : cand[0].weight;
        break;
      }
      head = static_cast<int32_t>(std::min<int64_t>(n, int64_t{head} * 4));
    }
  } else {
    std::sort(first, last, ranks_before);
  }
  out.resize(keep);
  for (int32_t i = 0; i < keep; ++i)
    out[i] = {cand[i].token, static_cast<float>(cand[i].weight / kept_mass)};
}

int32_t sample_token(const float* logits, int32_t vocab_size, const SamplingParams& params,
                     uint64_t key, uint64_t index) {
  if (is_greedy(params)) return argmax_token(logits, vocab_size);
  thread_local std::vector<TokenProb> dist;
  sampling_distribution(logits, vocab_size, params, dist);
  double u = counter_uniform(key, index);
  double cum = 0;
  for (const TokenProb& tp : dist) {
    cum += tp.prob;
    if (u < cum) return tp.token;
  }
  // Rounding left u above the last partial sum: the last candidate that has any probability
  // (a masked or underflowed one has none).
  for (auto it = dist.rbegin(); it != dist.rend(); ++it)
    if (it->prob > 0.0f) return it->token;
  return dist.front().token;
}

void sample_rows(const float* logits, int32_t vocab_size, const std::vector<SamplingRow>& rows,
                 std::vector<int32_t>& tokens) {
  const int64_t n = static_cast<int64_t>(rows.size());
  tokens.resize(rows.size());
#pragma omp parallel for schedule(dynamic, 4) if (n >= 16)
  for (int64_t r = 0; r < n; ++r) {
    const SamplingRow& row = rows[r];
    const float* row_logits = logits + r * vocab_size;
    if (!row.masked_tokens.empty()) {
      thread_local std::vector<float> masked;
      masked.assign(row_logits, row_logits + vocab_size);
      mask_tokens(masked.data(), vocab_size, row.masked_tokens);
      row_logits = masked.data();
    }
    tokens[r] = sample_token(row_logits, vocab_size, row.params, row.stream_key, row.draw_index);
  }
}

void mask_tokens(float* logits, int32_t vocab_size, const std::vector<int32_t>& tokens) {
  for (int32_t t : tokens) {
    TPBENCH_CHECK(t >= 0 && t < vocab_size, "masked token " + std::to_string(t) +
                                                " outside the vocabulary of " +
                                                std::to_string(vocab_size));
    logits[t] = -std::numeric_limits<float>::infinity();
  }
}

}  // namespace tpbench
