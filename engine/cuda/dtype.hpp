#pragma once
// The element type of the CUDA backend's weights, KV cache and GEMM inputs (--dtype).
#include <cstddef>
#include <string>

#include "common/engine_options.hpp"

namespace tpbench {

enum class DType { kFloat32, kFloat16, kBFloat16 };

const char* dtype_name(DType dtype);  // "float32" | "float16" | "bfloat16"
size_t dtype_bytes(DType dtype);

// --dtype auto | float16 | bfloat16 | float32. auto: config.json's torch_dtype (or dtype), else
// the checkpoint's embedding tensor type, else bfloat16 (--dummy-weights without torch_dtype).
// Throws InputError naming --dtype or the file.
DType resolve_dtype(DtypeChoice choice, const std::string& model_dir, bool dummy_weights);

}  // namespace tpbench
