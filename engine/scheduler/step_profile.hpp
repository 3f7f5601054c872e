#pragma once
// --step-profile-out: what each engine step cost on a TP leader, one CSV row per step: the
// step's shape and the runner's forward + sampling time (the scheduler's time is not in it).
// --sim-profile reads such files back to fit the sim backend's step-time model.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/scheduler/step_shape.hpp"

namespace tpbench {

struct StepProfileRow {
  StepShape shape;
  int64_t forward_ns = 0;
};

inline constexpr const char* kStepProfileHeader =
    "tokens,seqs,prefill_tokens,context_tokens,forward_ns";

// Throws std::runtime_error naming the file when it cannot be written.
void write_step_profile(const std::string& path, const std::vector<StepProfileRow>& rows);

// `paths`: one file or a comma-separated list. Throws InputError naming `flag`, the file and
// the line on anything unreadable.
std::vector<StepProfileRow> read_step_profiles(const std::string& paths, const std::string& flag);

}  // namespace tpbench
