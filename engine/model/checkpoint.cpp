#include "engine/model/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "engine/model/safetensors.hpp"
#include "engine/model/torch_checkpoint.hpp"

namespace tpbench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// weight_map {tensor: file} of a *.index.json.
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  std::ifstream in(index_path);
  std::stringstream text;
  text << in.rdbuf();
  json index;
  try {
    index = json::parse(text.str());
  } catch (const json::exception& e) {
    throw InputError(index_path + ": malformed JSON: " + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw InputError(index_path + ": field 'weight_map' is missing");
  std::map<std::string, std::string> weight_map;
  for (const auto& [tensor, file] : index["weight_map"].items()) {
    if (!file.is_string())
      throw InputError(index_path + ": weight_map['" + tensor + "'] is not a file name");
    weight_map[tensor] = file.get<std::string>();
  }
  return weight_map;
}

// Sorted names of the files in `dir` that `keep` accepts.
template <typename Keep>
std::vector<std::string> list_files(const std::string& dir, Keep keep) {
  std::vector<std::string> files;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && keep(entry.path())) files.push_back(entry.path().filename());
  std::sort(files.begin(), files.end());
  return files;
}

bool is_torch_weights(const fs::path& p) {
  return p.extension() == ".bin" && p.filename().string().rfind("pytorch_model", 0) == 0;
}

float to_float(const std::string& dtype, const uint8_t* element) {
  if (dtype == "F32") {
    float f;
    std::memcpy(&f, element, 4);
    return f;
  }
  uint16_t bits;
  std::memcpy(&bits, element, 2);
  return dtype == "F16" ? half_to_float(bits) : bfloat16_to_float(bits);
}

// `count` elements from element index `first`, `step` elements apart, to fp32.
void convert(const TensorInfo& t, int64_t esize, int64_t first, int64_t count, int64_t step,
             float* out) {
  if (t.dtype == "F32" && step == 1) {
    std::memcpy(out, t.data + first * 4, count * 4);
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    out[i] = to_float(t.dtype, t.data + (first + i * step) * esize);
}

}  // namespace

Checkpoint::Checkpoint(const std::string& model_dir) : dir_(model_dir) {
  const std::string st_index = model_dir + "/model.safetensors.index.json";
  const std::string pt_index = model_dir + "/pytorch_model.bin.index.json";
  std::string index_path;
  std::vector<std::string> files =
      list_files(model_dir, [](const fs::path& p) { return p.extension() == ".safetensors"; });
  bool torch = false;
  if (fs::exists(st_index)) {
    index_path = st_index;
  } else if (files.empty()) {
    torch = true;
    if (fs::exists(pt_index))
      index_path = pt_index;
    else
      files = list_files(model_dir, is_torch_weights);
  }
  std::map<std::string, std::string> weight_map;  // tensor -> file name
  if (!index_path.empty()) {
    weight_map = read_weight_map(index_path);
    std::set<std::string> names;
    for (const auto& [tensor, file] : weight_map) names.insert(file);
    files.assign(names.begin(), names.end());
  }
  if (files.empty())
    throw InputError(model_dir +
                     ": no *.safetensors or pytorch_model*.bin weights (use --dummy-weights to run "
                     "without a checkpoint)");

  std::map<std::string, const std::map<std::string, TensorInfo>*> by_name;
  for (const std::string& f : files) {
    if (torch) {
      torch_files_.push_back(std::make_unique<TorchCheckpointFile>(model_dir + "/" + f));
      by_name[f] = &torch_files_.back()->tensors();
    } else {
      safetensors_.push_back(std::make_unique<SafetensorsFile>(model_dir + "/" + f));
      by_name[f] = &safetensors_.back()->tensors();
    }
  }
  if (!weight_map.empty()) {
    for (const auto& [tensor, file] : weight_map) {
      const auto& tensors = *by_name.at(file);
      auto it = tensors.find(tensor);
      if (it == tensors.end())
        throw InputError(model_dir + "/" + file + ": tensor '" + tensor + "' listed in " +
                         fs::path(index_path).filename().string() + " is missing");
      index_[tensor] = &it->second;
    }
  } else {
    for (const auto& [file, tensors] : by_name)
      for (const auto& [tensor, info] : *tensors) index_[tensor] = &info;
  }
}

Checkpoint::~Checkpoint() = default;

const TensorInfo& Checkpoint::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    throw InputError(dir_ + ": tensor '" + name + "' is missing from the checkpoint");
  return *it->second;
}

void Checkpoint::read(const std::string& name, const std::vector<int64_t>& shape, int64_t row0,
                      int64_t rows, int64_t col0, int64_t cols, float* out) const {
  const TensorInfo& t = info(name);
  if (t.shape != shape)
    throw InputError(t.file + ": tensor '" + name + "' has shape " + shape_string(t.shape) +
                     ", config.json implies " + shape_string(shape));
  if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16")
    throw InputError(t.file + ": tensor '" + name + "' has dtype " + t.dtype +
                     " (supported: F32, F16, BF16)");
  const bool matrix = shape.size() == 2;
  int64_t row_len = 1;
  for (int64_t d : shape) row_len *= d;
  if (matrix) row_len = shape[1];
  TPBENCH_CHECK(row0 >= 0 && col0 >= 0 && col0 + cols <= row_len, name);
  TPBENCH_CHECK(row0 + rows <= (matrix ? shape[0] : 1), name);
  TPBENCH_CHECK(t.strides.empty() || matrix || shape.size() == 1, name);
  // Element strides of a row and a column; a 1-D tensor is one row.
  const int64_t row_step = t.strides.empty() ? row_len : (matrix ? t.strides[0] : 0);
  const int64_t col_step = t.strides.empty() ? 1 : t.strides.back();
  const int64_t esize = dtype_bytes(t.dtype);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    convert(t, esize, (row0 + r) * row_step + col0 * col_step, cols, col_step, out + r * cols);
}

}  // namespace tpbench
