#pragma once
// What one engine step asks of the forward pass, in the terms its cost depends on. The sim
// backend's step-time model reads it; real runs can write it per step (--step-profile-out).
#include <cstdint>

#include "engine/model_runner.hpp"

namespace tpbench {

struct StepShape {
  int64_t tokens = 0;          // fed this step, all sequences
  int64_t seqs = 0;            // sequences in the plan
  int64_t prefill_tokens = 0;  // tokens of chunks other than one-token decodes
  int64_t context_tokens = 0;  // KV positions attention reads: each token sees [0, its pos]
};

inline StepShape step_shape(const StepPlan& plan) {
  StepShape s;
  s.seqs = static_cast<int64_t>(plan.seqs.size());
  for (const SequenceChunk& c : plan.seqs) {
    const int64_t n = static_cast<int64_t>(c.tokens.size());
    s.tokens += n;
    if (n != 1 || !c.want_logits) s.prefill_tokens += n;
    s.context_tokens += n * c.start_pos + n * (n + 1) / 2;
  }
  return s;
}

}  // namespace tpbench
