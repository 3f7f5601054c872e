#pragma once
// Memory-mapped safetensors files (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
// tensor bytes. Tensors are converted to fp32 only for the slices a TP rank asks for, so each
// rank touches only the pages of its own shard.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tpbench {

struct TensorInfo {
  std::string dtype;  // "F32", "F16", "BF16", ... (others are listed but cannot be read)
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // first byte inside the mapping
  int64_t bytes = 0;
  std::string file;  // the .safetensors path, for error messages
};

class SafetensorsFile {
 public:
  // Maps the file and validates its header. Throws InputError naming the file.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::map<std::string, TensorInfo> tensors_;
};

// All tensors of a model directory: model.safetensors.index.json (sharded checkpoints) or every
// *.safetensors file in the directory.
class SafetensorsCheckpoint {
 public:
  explicit SafetensorsCheckpoint(const std::string& model_dir);

  bool has(const std::string& name) const { return index_.count(name) != 0; }
  // Throws InputError when the tensor is missing.
  const TensorInfo& info(const std::string& name) const;

  // Copies rows [row0, row0 + rows) x columns [col0, col0 + cols) of the row-major tensor `name`
  // (a 1-D tensor is one row) into `out` as fp32, after checking its shape equals `shape`.
  void read(const std::string& name, const std::vector<int64_t>& shape, int64_t row0, int64_t rows,
            int64_t col0, int64_t cols, float* out) const;

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> index_;
};

// fp16 / bf16 bit patterns to fp32.
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);

std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace tpbench
