#pragma once
// Helpers of the GPU tests: skipping without a device, element-type conversions on the host,
// device upload / download, NaN poisoning, random inputs and error measures (relative to the
// largest reference value, or per element in ulps of the element type).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/cuda/device_memory.hpp"
#include "kernels/cuda/element_host.hpp"

namespace tpbench::test {

// Empty when a CUDA device is usable, else why not.
std::string gpu_unavailable_reason();

// Skips the current test (from the test body or SetUp) when no GPU is usable.
#define TPBENCH_REQUIRE_GPU()                                                   \
  do {                                                                          \
    const std::string tpbench_why_ = ::tpbench::test::gpu_unavailable_reason(); \
    if (!tpbench_why_.empty()) GTEST_SKIP() << "no CUDA GPU: " << tpbench_why_; \
  } while (0)

// Seed of this process's random inputs: TPBENCH_TEST_SEED, else fresh from random_device
// (printed by SeedTrace so a failure can be replayed).
uint32_t test_seed();

// Relative error (to the largest reference value) the tests accept for fp32 outputs. Outputs in
// half / bfloat16 are held per element instead: UlpBound.
inline constexpr double kFloatTolerance = 1e-5;

template <typename T>
const char* type_label() {
  if constexpr (std::is_same_v<T, float>) return "float";
  if constexpr (std::is_same_v<T, __half>) return "half";
  return "bfloat16";
}

// Uniform [lo, hi) floats, rounded to T and back: the values both the GPU (as T) and its CPU
// twin (as float) then see exactly.
template <typename T>
std::vector<float> random_values(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = host_element_to_float<T>(host_to_element<T>(dist(rng)));
  return v;
}

// Counter-based inputs: element i of stream `name` under `seed` is a splitmix64 finaliser of
// (seed, FNV-1a of name, i). tests/engine/cuda/emulate_rounding.py draws the very same values, so it
// replays a test's inputs from its TPBENCH_TEST_SEED.
class SeededStream {
 public:
  SeededStream(uint32_t seed, std::string_view name);
  uint64_t bits(uint64_t i) const;
  // Uniform in [lo, hi): 24 random bits, lo + (hi - lo) * u exact in double, rounded to float.
  float uniform(uint64_t i, float lo, float hi) const;

 private:
  uint64_t key_;
};

// n values of stream `name`, uniform in [lo, hi), rounded to T and back (see random_values).
template <typename T>
std::vector<float> seeded_values(uint32_t seed, std::string_view name, size_t n, float lo,
                                 float hi) {
  const SeededStream stream(seed, name);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = host_element_to_float<T>(host_to_element<T>(stream.uniform(i, lo, hi)));
  return v;
}

// The spacing of T's values at magnitude |x| (the subnormal spacing below T's smallest normal).
template <typename T>
double ulp_at(double x) {
  constexpr int mantissa = std::is_same_v<T, float> ? 23 : std::is_same_v<T, __half> ? 10 : 7;
  constexpr int min_exponent = std::is_same_v<T, __half> ? -14 : -126;
  const int e = x == 0 ? min_exponent : std::max(std::ilogb(std::fabs(x)), min_exponent);
  return std::ldexp(1.0, e - mantissa);
}

// A per-element bound for an output stored in T: |got - round_T(want)| <= ulps x ulp_T at
// round_T(want) + floor. A correct kernel rounds once from fp32: it is within 1 ulp of the
// rounded reference, plus its fp32 error where that is not relative to the value (sums that
// cancel); `floor` bounds that error from the inputs' scale.
struct UlpBound {
  double ulps = 2;
  double floor = 0;
};

// The worst element, in units of its bound (>= 1 fails; infinite for a NaN or a size mismatch).
struct UlpCheck {
  double worst = 0;
  size_t at = 0;
  double got = 0, want = 0;
};

template <typename T>
UlpCheck check_ulps(const std::vector<float>& got, const std::vector<double>& want, UlpBound b) {
  UlpCheck c;
  if (got.size() != want.size()) c.worst = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const double want_t = host_element_to_float<T>(host_to_element<T>(static_cast<float>(want[i])));
    const double units = std::isfinite(got[i])
                             ? std::fabs(got[i] - want_t) / (b.ulps * ulp_at<T>(want_t) + b.floor)
                             : std::numeric_limits<double>::infinity();
    if (!(units <= c.worst)) c = {units, i, got[i], want_t};
  }
  return c;
}

// EXPECT that got (values of T) is within `bound` of want per element; prints the worst element
// in units of the bound (the figure tests/engine/cuda/emulate_rounding.py predicts).
template <typename T>
void expect_within_ulps(const std::vector<float>& got, const std::vector<double>& want,
                        UlpBound bound, const std::string& what) {
  const UlpCheck c = check_ulps<T>(got, want, bound);
  std::printf("%s (%s): worst error %.3f of the bound (%g ulps + %.3g)\n", what.c_str(),
              type_label<T>(), c.worst, bound.ulps, bound.floor);
  EXPECT_LT(c.worst, 1.0) << what << ": element " << c.at << " is " << c.got << ", want " << c.want
                          << " (" << type_label<T>() << ", bound " << bound.ulps << " ulps + "
                          << bound.floor << ")";
}

inline std::vector<double> to_doubles(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

template <typename T>
std::vector<T> to_elems(const std::vector<float>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = host_to_element<T>(v[i]);
  return out;
}

template <typename T>
std::vector<float> to_floats(const std::vector<T>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = host_element_to_float<T>(v[i]);
  return out;
}

template <typename E>
DeviceArray<E> upload(const std::vector<E>& v) {
  DeviceArray<E> d(std::max<size_t>(v.size(), 1));
  if (!v.empty())
    CUDA_CHECK(cudaMemcpy(d.data(), v.data(), v.size() * sizeof(E), cudaMemcpyHostToDevice));
  return d;
}

// n elements, every byte 0xFF: a NaN in float, half and bfloat16 alike.
template <typename E>
DeviceArray<E> poisoned(size_t n) {
  DeviceArray<E> d(std::max<size_t>(n, 1));
  CUDA_CHECK(cudaMemset(d.data(), 0xFF, std::max<size_t>(n, 1) * sizeof(E)));
  return d;
}

template <typename E>
std::vector<E> download(const DeviceArray<E>& d, size_t n) {
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<E> v(n);
  if (n > 0) CUDA_CHECK(cudaMemcpy(v.data(), d.data(), n * sizeof(E), cudaMemcpyDeviceToHost));
  return v;
}

// max |a - b| / max |b|; infinite when a holds a NaN (an unwritten element) or sizes differ.
double relative_error(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace tpbench::test
