#pragma once
// One tensor of a memory-mapped checkpoint file, whatever its format.
#include <cstdint>
#include <string>
#include <vector>

namespace tpbench {

struct TensorInfo {
  std::string dtype;  // "F32", "F16", "BF16", ... (others are listed but cannot be read)
  std::vector<int64_t> shape;
  // Element strides per dimension; empty for a contiguous row-major tensor (safetensors). A
  // PyTorch view (a transposed weight) has others.
  std::vector<int64_t> strides;
  const uint8_t* data = nullptr;  // the first element, inside the mapping
  int64_t bytes = 0;              // bytes from `data` to the end of the tensor's last element
  std::string file;               // the checkpoint file, for error messages
};

std::string shape_string(const std::vector<int64_t>& shape);

// Bytes per element of a safetensors dtype name; 0 for one this reader does not know.
int64_t dtype_bytes(const std::string& dtype);

}  // namespace tpbench
