#include "engine/cuda/dtype.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "engine/model/checkpoint.hpp"

namespace tpbench {
namespace {

bool parse_name(const std::string& name, DType& out) {
  if (name == "float32") {
    out = DType::kFloat32;
  } else if (name == "float16") {
    out = DType::kFloat16;
  } else if (name == "bfloat16") {
    out = DType::kBFloat16;
  } else {
    return false;
  }
  return true;
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "?";
}

size_t dtype_bytes(DType dtype) {
  return dtype == DType::kFloat32 ? 4 : 2;
}

DType resolve_dtype(DtypeChoice choice, const std::string& model_dir, bool dummy_weights) {
  switch (choice) {
    case DtypeChoice::kFloat32:
      return DType::kFloat32;
    case DtypeChoice::kFloat16:
      return DType::kFloat16;
    case DtypeChoice::kBFloat16:
      return DType::kBFloat16;
    case DtypeChoice::kAuto:
      break;
  }
  DType dtype;
  const std::string path = model_dir + "/config.json";
  std::ifstream in(path);
  nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  for (const char* key : {"torch_dtype", "dtype"}) {
    if (config.is_object() && config.contains(key) && config[key].is_string()) {
      const std::string name = config[key].get<std::string>();
      if (!parse_name(name, dtype))
        throw InputError(path + ": " + key + " = " + name +
                         " is not float16, bfloat16 or float32; pass --dtype");
      return dtype;
    }
  }
  if (dummy_weights) return DType::kBFloat16;
  const Checkpoint checkpoint(model_dir);
  const TensorInfo& embedding = checkpoint.info("model.embed_tokens.weight");
  if (embedding.dtype == "F32") return DType::kFloat32;
  if (embedding.dtype == "F16") return DType::kFloat16;
  if (embedding.dtype == "BF16") return DType::kBFloat16;
  throw InputError(embedding.file + ": model.embed_tokens.weight is " + embedding.dtype +
                   "; pass --dtype float16, bfloat16 or float32");
}

}  // namespace tpbench
