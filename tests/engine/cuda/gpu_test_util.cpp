#include "tests/engine/cuda/gpu_test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tpbench::test {

std::string gpu_unavailable_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
  }
  if (count == 0) return "cudaGetDeviceCount reports 0 devices";
  return "";
}

uint32_t test_seed() {
  static const uint32_t seed = [] {
    if (const char* s = std::getenv("TPBENCH_TEST_SEED"))
      return static_cast<uint32_t>(std::atol(s));
    return std::random_device{}();
  }();
  return seed;
}

namespace {

uint64_t splitmix64_finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

}  // namespace

SeededStream::SeededStream(uint32_t seed, std::string_view name)
    : key_(splitmix64_finalize(fnv1a64(name) ^ seed)) {}

uint64_t SeededStream::bits(uint64_t i) const {
  return splitmix64_finalize(key_ + (i + 1) * 0x9E3779B97F4A7C15ull);
}

float SeededStream::uniform(uint64_t i, float lo, float hi) const {
  const double u = static_cast<double>(bits(i) >> 40) * 0x1p-24;
  return static_cast<float>(double{lo} + (double{hi} - double{lo}) * u);
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return std::numeric_limits<double>::infinity();
    max_diff = std::max(max_diff, std::fabs(double{a[i]} - b[i]));
    max_ref = std::max(max_ref, std::fabs(double{b[i]}));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

}  // namespace tpbench::test
