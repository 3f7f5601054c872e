#pragma once
// Allocation-light forms of encode_plan/decode_plan (engine/model_runner.hpp): they reuse the
// storage of the buffer / plan they are given, for the per-step leader -> follower broadcast.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/model_runner.hpp"

namespace tpbench {

void encode_plan_into(const StepPlan& plan, std::vector<uint8_t>& out);
// Throws InternalError on a truncated or malformed buffer.
void decode_plan_into(const uint8_t* data, size_t size, StepPlan& plan);

}  // namespace tpbench
