#pragma once
// The counter-based random numbers of token sampling, one definition for the host sampler and
// the GPU sampling kernel: the uniform draw for a request's n-th generated token is a pure
// function of (seed, request id, n).
#include <cstdint>

#if defined(__CUDACC__)
#define TPBENCH_HOST_DEVICE __host__ __device__
#else
#define TPBENCH_HOST_DEVICE
#endif

namespace tpbench {

TPBENCH_HOST_DEVICE inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The key of a request's random stream.
TPBENCH_HOST_DEVICE inline uint64_t counter_stream_key(uint64_t seed, uint64_t request_id) {
  return splitmix64(splitmix64(seed) ^ (request_id * 0xD6E8FEB86659FD93ull));
}

// Uniform in [0, 1) for draw `index` of stream `key` (53 random bits).
TPBENCH_HOST_DEVICE inline double counter_uniform(uint64_t key, uint64_t index) {
  const uint64_t bits = splitmix64(key ^ splitmix64(index));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace tpbench
