#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/error.hpp"
#include "engine/sim/step_time_fit.hpp"

namespace tpbench {
namespace {

// A cost with a knee in tokens, a per-sequence and a per-context-token term, plus 3 % noise.
double true_ns(const StepShape& s) {
  const double t = static_cast<double>(s.tokens);
  return 400e3 + 30e3 * s.seqs + 15e3 * t - 10e3 * std::max(0.0, t - 64) +
         2.0 * static_cast<double>(s.context_tokens);
}

std::vector<StepProfileRow> profile(uint32_t seed, int rows) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.03);
  std::vector<StepProfileRow> out;
  for (int i = 0; i < rows; ++i) {
    StepProfileRow r;
    r.shape.seqs = 1 + rng() % 32;
    const bool prefill = rng() % 5 == 0;
    r.shape.prefill_tokens = prefill ? 16 + rng() % 2000 : 0;
    r.shape.tokens = r.shape.seqs + r.shape.prefill_tokens;
    r.shape.context_tokens = r.shape.seqs * (50 + rng() % 800) + r.shape.prefill_tokens * 300;
    r.forward_ns = static_cast<int64_t>(true_ns(r.shape) * noise(rng));
    out.push_back(r);
  }
  return out;
}

TEST(StepTimeFit, RecoversAKneeAndPredictsUnseenSteps) {
  const StepTimeFit fit = fit_step_time(profile(1, 2000), "test");
  EXPECT_LT(fit.median_abs_rel_error, 0.05) << fit.describe();
  double fitted = 0, profiled = 0;
  for (const auto& r : profile(1, 2000)) {
    fitted += fit.predict_ns(r.shape);
    profiled += static_cast<double>(r.forward_ns);
  }
  EXPECT_NEAR(fitted / profiled, 1.0, 1e-6);  // scaled to the profile's total time
  double predicted = 0, measured = 0;
  for (const auto& r : profile(2, 500)) {
    predicted += fit.predict_ns(r.shape);
    measured += true_ns(r.shape);
  }
  EXPECT_NEAR(predicted / measured, 1.0, 0.02) << fit.describe();
  // Decode steps alone (the TPOT): 8 sequences, short and long contexts.
  for (int64_t ctx : {8 * 100, 8 * 1000}) {
    StepShape s{8, 8, 0, ctx};
    EXPECT_NEAR(fit.predict_ns(s) / true_ns(s), 1.0, 0.08) << fit.describe();
  }
}

TEST(StepTimeFit, NeedsEnoughSteps) {
  EXPECT_THROW(fit_step_time(profile(3, 10), "--sim-profile p.csv"), InputError);
}

}  // namespace
}  // namespace tpbench
