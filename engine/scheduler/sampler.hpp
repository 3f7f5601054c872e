#pragma once
// Token sampling from one row of logits: greedy, top-k, top-p (nucleus) and temperature.
// Randomness is counter-based: the uniform draw for a request's n-th generated token is a pure
// function of (seed, request id, n), so a request gives the same tokens alone or batched, and
// after a preemption and recompute.
#include <cstdint>
#include <vector>

#include "common/counter_rng.hpp"  // counter_stream_key, counter_uniform: the draws
#include "engine/engine.hpp"
#include "engine/model_runner.hpp"  // SamplingRow

namespace tpbench {

// Lowest id among the maximal logits.
int32_t argmax_token(const float* logits, int32_t vocab_size);

struct TokenProb {
  int32_t token;
  float prob;
};

// The distribution sample_token draws from (non-greedy params): the top-k tokens by logit
// (ties: lower id first; top_k <= 0 or >= vocab: all), softmax at the temperature over them,
// then the smallest prefix, sorted by descending probability, whose mass reaches top_p.
// `out` is sorted by descending probability and renormalised to sum 1.
void sampling_distribution(const float* logits, int32_t vocab_size, const SamplingParams& params,
                           std::vector<TokenProb>& out);

// Samples the token for draw `index` of stream `key`. Thread-safe (thread-local scratch).
int32_t sample_token(const float* logits, int32_t vocab_size, const SamplingParams& params,
                     uint64_t key, uint64_t index);

// Sets the logits of `tokens` to -inf: they are never drawn (unless every logit is -inf).
void mask_tokens(float* logits, int32_t vocab_size, const std::vector<int32_t>& tokens);

// sample_token for every row: tokens[i] is drawn from logits row i ([rows.size(), vocab_size],
// row-major) with rows[i], its masked_tokens masked (on a copy: `logits` is not changed). Rows run
// in parallel (OpenMP) when there are many; each draw is a pure function of its row, so the thread
// split cannot change a token.
void sample_rows(const float* logits, int32_t vocab_size, const std::vector<SamplingRow>& rows,
                 std::vector<int32_t>& tokens);

}  // namespace tpbench
