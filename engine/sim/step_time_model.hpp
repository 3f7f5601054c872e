#pragma once
// How long the sim backend's forward pass takes for a step: the model --sim-profile fits
// (engine/sim/step_time_fit.hpp); else --sim-step-ms (fixed); else --sim-base-ms +
// --sim-per-token-us x tokens fed.
#include <cstdint>
#include <optional>
#include <string>

#include "common/engine_options.hpp"
#include "engine/scheduler/step_shape.hpp"
#include "engine/sim/step_time_fit.hpp"

namespace tpbench {

class StepTimeModel {
 public:
  // Throws InputError naming the flag on a negative time or an unusable profile.
  explicit StepTimeModel(const EngineOptions& options);

  int64_t step_ns(const StepShape& shape) const;
  std::string describe() const;

 private:
  double fixed_ms_ = -1;  // >= 0: every step takes this long
  double base_ms_ = 0;
  double per_token_us_ = 0;
  std::optional<StepTimeFit> fit_;
};

}  // namespace tpbench
