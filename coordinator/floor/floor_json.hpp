#pragma once
// The floor-inputs JSON that tests/engine/cuda/measure_floor_inputs writes and tpbench_floor reads,
// and the floor's JSON report:
//   {"card": "NVIDIA H100 80GB HBM3",
//    "step_gemm": [{"tokens": 1, "ms": 5.02}, {"tokens": 8, "ms": 4.96}, ...],
//    "copy_bytes_per_s": 2.99e12,
//    "kv_bytes_per_context_token": 524288, ...}
// Other fields (model, dtype, how it was measured) are kept by the writer and ignored here.
#include <string>

#include "coordinator/floor/floor_model.hpp"

namespace tpbench {

// Throws InputError naming `path` and the field on a missing or malformed one.
FloorInputs parse_floor_inputs(const std::string& json_text, const std::string& path);
FloorInputs load_floor_inputs(const std::string& path);

// {"card", "concurrency", "requests", "prompt_tokens", "output_tokens", "steps", "floor_s",
//  "gemm_s", "kv_s", "output_tok_s", "req_s"}
std::string floor_result_json(const FloorResult& result, const FloorInputs& inputs,
                              int64_t concurrency);

}  // namespace tpbench
