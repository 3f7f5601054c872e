#include "engine/model/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.hpp"

namespace tpbench {
namespace {

using nlohmann::json;

int64_t dtype_bytes(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype.rfind("F8_", 0) == 0) return 1;
  return 0;  // unknown: size not checked, cannot be read
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

TensorInfo parse_entry(const std::string& path, const std::string& name, const json& e,
                       const uint8_t* data, uint64_t data_size) {
  auto fail = [&](const std::string& why) -> InputError {
    return InputError(path + ": tensor '" + name + "': " + why);
  };
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
    throw fail("header entry needs dtype, shape and data_offsets");
  const json& offs = e.at("data_offsets");
  if (!e.at("dtype").is_string() || !e.at("shape").is_array() || !offs.is_array() ||
      offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
    throw fail("malformed header entry");
  TensorInfo t;
  t.file = path;
  t.dtype = e.at("dtype").get<std::string>();
  for (const json& d : e.at("shape")) {
    if (!d.is_number_unsigned()) throw fail("shape is not a list of non-negative integers");
    t.shape.push_back(d.get<int64_t>());
  }
  uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
  if (begin > end) throw fail("data_offsets begin > end");
  if (end > data_size)
    throw fail("data ends at byte " + std::to_string(end) + " of a " + std::to_string(data_size) +
               "-byte data section (file truncated?)");
  t.data = data + begin;
  t.bytes = static_cast<int64_t>(end - begin);
  int64_t esize = dtype_bytes(t.dtype);
  if (esize > 0 && element_count(t.shape) * esize != t.bytes)
    throw fail("shape " + shape_string(t.shape) + " of " + t.dtype + " needs " +
               std::to_string(element_count(t.shape) * esize) + " bytes, data_offsets give " +
               std::to_string(t.bytes));
  return t;
}

void convert_row(const TensorInfo& t, int64_t first, int64_t count, float* out) {
  if (t.dtype == "F32") {
    std::memcpy(out, t.data + first * 4, count * 4);
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    const uint8_t* src = t.data + first * 2;
    bool half = t.dtype == "F16";
    for (int64_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + 2 * i, 2);
      out[i] = half ? half_to_float(bits) : bfloat16_to_float(bits);
    }
  }
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {  // inf / nan
    bits = sign | 0x7f800000 | (mant << 13);
  } else if (exp != 0) {  // normal
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {  // zero
    bits = sign;
  } else {  // subnormal: normalise the mantissa
    exp = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw InputError(path + ": cannot stat");
  }
  map_size_ = static_cast<size_t>(st.st_size);
  if (map_size_ < 8) {
    ::close(fd);
    throw InputError(path + ": truncated safetensors file (" + std::to_string(map_size_) +
                     " bytes, shorter than the 8-byte header length)");
  }
  map_ = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw InputError(path + ": cannot mmap: " + std::strerror(errno));
  }
  const auto* base = static_cast<const uint8_t*>(map_);
  uint64_t header_len = 0;
  std::memcpy(&header_len, base, 8);  // little-endian host assumed (x86-64, aarch64)
  if (header_len > map_size_ - 8)
    throw InputError(path + ": header length " + std::to_string(header_len) +
                     " runs past the end of the file (" + std::to_string(map_size_) + " bytes)");
  json header;
  try {
    header = json::parse(base + 8, base + 8 + header_len);
  } catch (const json::exception& e) {
    throw InputError(path + ": malformed safetensors header JSON: " + e.what());
  }
  if (!header.is_object()) throw InputError(path + ": safetensors header is not a JSON object");
  const uint8_t* data = base + 8 + header_len;
  uint64_t data_size = map_size_ - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    tensors_.emplace(name, parse_entry(path, name, entry, data, data_size));
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& model_dir) : dir_(model_dir) {
  namespace fs = std::filesystem;
  std::string index_path = model_dir + "/model.safetensors.index.json";
  std::vector<std::string> files;
  std::map<std::string, std::string> weight_map;  // tensor -> file name
  if (fs::exists(index_path)) {
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
    std::set<std::string> names;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      if (!file.is_string())
        throw InputError(index_path + ": weight_map['" + tensor + "'] is not a file name");
      weight_map[tensor] = file.get<std::string>();
      names.insert(file.get<std::string>());
    }
    files.assign(names.begin(), names.end());
  } else if (fs::is_directory(model_dir)) {
    for (const auto& entry : fs::directory_iterator(model_dir))
      if (entry.path().extension() == ".safetensors") files.push_back(entry.path().filename());
    std::sort(files.begin(), files.end());
  }
  if (files.empty())
    throw InputError(
        model_dir + ": no *.safetensors weights (use --dummy-weights to run without a checkpoint)");

  std::map<std::string, const SafetensorsFile*> by_name;
  for (const std::string& f : files) {
    files_.push_back(std::make_unique<SafetensorsFile>(model_dir + "/" + f));
    by_name[f] = files_.back().get();
  }
  if (!weight_map.empty()) {
    for (const auto& [tensor, file] : weight_map) {
      const auto& tensors = by_name.at(file)->tensors();
      auto it = tensors.find(tensor);
      if (it == tensors.end())
        throw InputError(model_dir + "/" + file + ": tensor '" + tensor +
                         "' listed in model.safetensors.index.json is missing");
      index_[tensor] = &it->second;
    }
  } else {
    for (const auto& f : files_)
      for (const auto& [tensor, info] : f->tensors()) index_[tensor] = &info;
  }
}

const TensorInfo& SafetensorsCheckpoint::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    throw InputError(dir_ + ": tensor '" + name + "' is missing from the checkpoint");
  return *it->second;
}

void SafetensorsCheckpoint::read(const std::string& name, const std::vector<int64_t>& shape,
                                 int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                                 float* out) const {
  const TensorInfo& t = info(name);
  if (t.shape != shape)
    throw InputError(t.file + ": tensor '" + name + "' has shape " + shape_string(t.shape) +
                     ", config.json implies " + shape_string(shape));
  if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16")
    throw InputError(t.file + ": tensor '" + name + "' has dtype " + t.dtype +
                     " (supported: F32, F16, BF16)");
  int64_t row_len = shape.size() == 2 ? shape[1] : element_count(shape);
  TPBENCH_CHECK(row0 >= 0 && col0 >= 0 && col0 + cols <= row_len, name);
  TPBENCH_CHECK(row0 + rows <= (shape.size() == 2 ? shape[0] : 1), name);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    convert_row(t, (row0 + r) * row_len + col0, cols, out + r * cols);
}

}  // namespace tpbench
