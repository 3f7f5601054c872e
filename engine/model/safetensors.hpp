#pragma once
// Memory-mapped safetensors files (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
// tensor bytes.
#include <cstdint>
#include <map>
#include <string>

#include "engine/model/mapped_file.hpp"
#include "engine/model/tensor_info.hpp"

namespace tpbench {

class SafetensorsFile {
 public:
  // Maps the file and validates its header. Throws InputError naming the file.
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }

 private:
  MappedFile file_;
  std::map<std::string, TensorInfo> tensors_;
};

// fp16 / bf16 bit patterns to fp32.
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);

}  // namespace tpbench
