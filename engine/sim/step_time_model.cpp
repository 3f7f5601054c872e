#include "engine/sim/step_time_model.hpp"

#include <cstdio>

#include "common/error.hpp"

namespace tpbench {

StepTimeModel::StepTimeModel(const EngineOptions& options)
    : fixed_ms_(options.sim_step_ms),
      base_ms_(options.sim_base_ms),
      per_token_us_(options.sim_per_token_us) {
  if (fixed_ms_ < 0 && (base_ms_ < 0 || per_token_us_ < 0))
    throw InputError("--sim-base-ms / --sim-per-token-us: must not be negative");
  if (!options.sim_profile.empty())
    fit_ = fit_step_time(read_step_profiles(options.sim_profile, "--sim-profile"),
                         "--sim-profile " + options.sim_profile);
}

int64_t StepTimeModel::step_ns(const StepShape& shape) const {
  if (fit_) return static_cast<int64_t>(fit_->predict_ns(shape));
  const double ms = fixed_ms_ >= 0
                        ? fixed_ms_
                        : base_ms_ + per_token_us_ * 1e-3 * static_cast<double>(shape.tokens);
  return static_cast<int64_t>(ms * 1e6);
}

std::string StepTimeModel::describe() const {
  if (fit_) return "step time " + fit_->describe();
  char buf[96];
  if (fixed_ms_ >= 0)
    std::snprintf(buf, sizeof buf, "%.3g ms per step", fixed_ms_);
  else
    std::snprintf(buf, sizeof buf, "%.3g ms + %.3g us/token per step", base_ms_, per_token_us_);
  return buf;
}

}  // namespace tpbench
