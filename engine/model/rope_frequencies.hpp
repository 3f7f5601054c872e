#pragma once
#include <vector>

#include "engine/model/model_config.hpp"

namespace tpbench {

// The head_dim / 2 rotary inverse frequencies 1 / rope_theta^(2i / head_dim), adjusted by
// rope_scaling as Hugging Face's rope initialisation does ("linear": divided by factor;
// "llama3": low frequencies divided by factor, high ones kept, a smooth blend between).
std::vector<float> rope_inv_freq(const ModelConfig& config);

}  // namespace tpbench
