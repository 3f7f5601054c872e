#include "engine/model/safetensors.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace tpbench {
namespace {

using nlohmann::json;

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

}  // namespace

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

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  const uint64_t file_size = file_.size();
  if (file_size < 8)
    throw InputError(path + ": truncated safetensors file (" + std::to_string(file_size) +
                     " bytes, shorter than the 8-byte header length)");
  const uint8_t* base = file_.data();
  uint64_t header_len = 0;
  std::memcpy(&header_len, base, 8);  // little-endian host assumed (x86-64, aarch64)
  if (header_len > file_size - 8)
    throw InputError(path + ": header length " + std::to_string(header_len) +
                     " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  json header;
  try {
    header = json::parse(base + 8, base + 8 + header_len);
  } catch (const json::exception& e) {
    throw InputError(path + ": malformed safetensors header JSON: " + e.what());
  }
  if (!header.is_object()) throw InputError(path + ": safetensors header is not a JSON object");
  const uint8_t* data = base + 8 + header_len;
  uint64_t data_size = file_size - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    tensors_.emplace(name, parse_entry(path, name, entry, data, data_size));
  }
}

}  // namespace tpbench
