#pragma once
// The step-time model --sim-profile fits to --step-profile-out rows, by least squares weighted
// by 1 / step time:
//
//   t = c0 + c_seq x seqs + c_tok x tokens + sum_j c_j x max(0, tokens - knot_j)
//         + c_ctx x context_tokens
//
// piecewise linear in the tokens fed (knots spaced geometrically between the profile's fewest
// and most tokens, so decode batches and prefill chunks each get slopes of their own), plus a
// term per sequence (logits rows: LM head and sampling) and one per KV position attention
// reads. Outside the profile's range the last slope continues; a prediction is never negative.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/scheduler/step_profile.hpp"

namespace tpbench {

struct StepTimeFit {
  std::vector<double> knots;
  std::vector<double> coef;  // c0, c_seq, c_tok, c_1..c_k, c_ctx (ns per unit)
  int64_t rows = 0;
  double median_abs_rel_error = 0;  // on the profile itself (whose total time it matches)

  double predict_ns(const StepShape& shape) const;
  std::string describe() const;
};

// Throws InputError naming `source` when there are too few steps to fit.
StepTimeFit fit_step_time(const std::vector<StepProfileRow>& rows, const std::string& source);

}  // namespace tpbench
