#pragma once
// Helpers of the GPU tests: skipping without a device, element-type conversions on the host,
// device upload / download, NaN poisoning, random inputs and error measures.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
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

// Relative error the tests accept for outputs stored in T.
template <typename T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-2;
}

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
