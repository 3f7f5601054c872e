#pragma once
#include <cstdint>
#include <vector>

#include "engine/model/model_config.hpp"

namespace tpbench {

// The head_dim / 2 rotary inverse frequencies 1 / base^(2i / head_dim), adjusted by
// rope_scaling as Hugging Face's rope initialisation does ("linear": divided by factor;
// "llama3": low frequencies divided by factor, high ones kept, a smooth blend between).
// base is rope_theta, or a request's dynamic base (rope_base_for_request).
std::vector<float> rope_inv_freq(const ModelConfig& config);
std::vector<float> rope_inv_freq(const ModelConfig& config, double base);

// The rotary base of a request whose prompt has prompt_len tokens, as LMDeploy's TurboMind
// computes it once per request (init_dynamic_ntk, from the prompt length): with "dynamic"
// scaling, factor > 1 and prompt_len > max_position_embeddings (M),
//   base = rope_theta * (factor * prompt_len / M - (factor - 1)) ^ (head_dim / (head_dim - 2)),
// used for every position of the request, generated tokens included; otherwise rope_theta.
// (transformers' dynamic rope instead recomputes the base from the current length each forward.)
double rope_base_for_request(const ModelConfig& config, int64_t prompt_len);

// True when the rotary base can differ between requests (dynamic scaling with factor > 1).
bool rope_base_varies(const ModelConfig& config);

}  // namespace tpbench
