#pragma once
// The tensors of a model directory, in either format: safetensors (model.safetensors.index.json
// or every *.safetensors) or, when the directory has no safetensors, PyTorch's
// pytorch_model.bin.index.json or every pytorch_model*.bin. Safetensors win when both are
// present, as in LMDeploy. Tensors are converted to fp32 only for the slices a TP rank asks for,
// so each rank touches only the pages of its own shard.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/tensor_info.hpp"

namespace tpbench {

class SafetensorsFile;
class TorchCheckpointFile;

class Checkpoint {
 public:
  // Throws InputError naming the directory or the bad file and its fault.
  explicit Checkpoint(const std::string& model_dir);
  ~Checkpoint();

  bool has(const std::string& name) const { return index_.count(name) != 0; }
  // Throws InputError when the tensor is missing.
  const TensorInfo& info(const std::string& name) const;

  // Copies rows [row0, row0 + rows) x columns [col0, col0 + cols) of the tensor `name` (a 1-D
  // tensor is one row) into `out` as fp32, row-major, after checking its shape equals `shape`.
  void read(const std::string& name, const std::vector<int64_t>& shape, int64_t row0, int64_t rows,
            int64_t col0, int64_t cols, float* out) const;

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> safetensors_;
  std::vector<std::unique_ptr<TorchCheckpointFile>> torch_files_;
  std::map<std::string, const TensorInfo*> index_;
};

}  // namespace tpbench
