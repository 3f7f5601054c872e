#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include <algorithm>
#include <climits>
#include <string>

#include "common/counter_rng.hpp"
#include "common/error.hpp"
#include "kernels/cuda/argmax.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/sample_rows.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kPrepareThreads = 256;
constexpr int kSampleThreads = 512;

// The sort ping-pongs between two key and two id buffers (cub::DoubleBuffer), so it needs no
// copies of its own; `sorted_*` point at whichever pair holds the result.
struct Workspace {
  float* keys[2];
  int32_t* ids[2];
  int32_t* offsets;  // [n + 1]: segment j is [offsets[j], offsets[j + 1])
  void* sort_temp;
  size_t sort_temp_bytes;
  const float* sorted_keys;
  const int32_t* sorted_ids;
};

size_t align_up(size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

size_t sort_temp_bytes(int64_t rows, int64_t vocab) {
  size_t bytes = 0;
  cub::DoubleBuffer<float> keys(nullptr, nullptr);
  cub::DoubleBuffer<int32_t> ids(nullptr, nullptr);
  CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairsDescending(
      nullptr, bytes, keys, ids, static_cast<int>(rows * vocab), static_cast<int>(rows),
      static_cast<const int32_t*>(nullptr), static_cast<const int32_t*>(nullptr)));
  return bytes;
}

Workspace carve(void* base, size_t bytes, int64_t rows, int64_t vocab) {
  const size_t items = static_cast<size_t>(rows * vocab);
  auto* p = static_cast<unsigned char*>(base);
  Workspace w{};
  for (float*& keys : w.keys) {
    keys = reinterpret_cast<float*>(p);
    p += align_up(items * sizeof(float));
  }
  for (int32_t*& ids : w.ids) {
    ids = reinterpret_cast<int32_t*>(p);
    p += align_up(items * sizeof(int32_t));
  }
  w.offsets = reinterpret_cast<int32_t*>(p);
  p += align_up((rows + 1) * sizeof(int32_t));
  w.sort_temp = p;
  const size_t used = static_cast<size_t>(p - static_cast<unsigned char*>(base));
  w.sort_temp_bytes = bytes > used ? bytes - used : 0;
  return w;
}

// grid (chunks, n): copies the sampled rows into the sort's input, NaN -> -inf (weight 0, as
// on the host) and -0.0 -> +0.0 (the host compares them equal), with their token ids as values.
__global__ void prepare_kernel(const float* logits, int64_t vocab, const SampleRowParams* params,
                               int n, Workspace w) {
  const int j = blockIdx.y;
  const float* row = logits + int64_t{params[j].row} * vocab;
  float* keys = w.keys[0] + int64_t{j} * vocab;
  int32_t* ids = w.ids[0] + int64_t{j} * vocab;
  for (int64_t v = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; v < vocab;
       v += int64_t{gridDim.x} * blockDim.x) {
    const float x = row[v];
    keys[v] = x != x ? -INFINITY : (x == 0.0f ? 0.0f : x);
    ids[v] = static_cast<int32_t>(v);
  }
  if (blockIdx.x == 0 && j == 0)
    for (int i = threadIdx.x; i <= n; i += blockDim.x)
      w.offsets[i] = static_cast<int32_t>(i * vocab);
}

using BlockReduceDouble = cub::BlockReduce<double, kSampleThreads>;
using BlockScanDouble = cub::BlockScan<double, kSampleThreads>;
using BlockReduceInt = cub::BlockReduce<int, kSampleThreads>;

struct MinOf {
  __device__ int operator()(int a, int b) const { return a < b ? a : b; }
};

__device__ double block_total_of(double mine) {
  __shared__ typename BlockReduceDouble::TempStorage temp;
  __shared__ double total;
  const double sum = BlockReduceDouble(temp).Sum(mine);
  if (threadIdx.x == 0) total = sum;
  __syncthreads();
  return total;
}

// The sum over i < n of weight(i), taken in a fixed order (deterministic).
template <typename Weight>
__device__ double block_total(int n, Weight weight) {
  double mine = 0.0;
  for (int i = threadIdx.x; i < n; i += kSampleThreads) mine += weight(i);
  return block_total_of(mine);
}

// The first index i < n at which the running sum of weight(0..i) (double) reaches `target`
// (kStrict: exceeds it), and the running sum there; index -1 and the whole sum when none does.
template <bool kStrict, typename Weight>
__device__ void first_reaching(int n, double target, Weight weight, int* found_index,
                               double* found_sum) {
  __shared__ union {
    typename BlockScanDouble::TempStorage scan;
    typename BlockReduceInt::TempStorage reduce;
  } temp;
  __shared__ double carry, hit_sum;
  __shared__ int hit;
  if (threadIdx.x == 0) {
    carry = 0.0;
    hit = -1;
  }
  __syncthreads();
  for (int base = 0; base < n; base += kSampleThreads) {
    const int i = base + static_cast<int>(threadIdx.x);
    const double w = i < n ? weight(i) : 0.0;
    double inclusive = 0.0, chunk_total = 0.0;
    BlockScanDouble(temp.scan).InclusiveSum(w, inclusive, chunk_total);
    inclusive += carry;
    __syncthreads();  // carry and temp.scan are read by all
    const bool reached = kStrict ? inclusive > target : inclusive >= target;
    const int first = BlockReduceInt(temp.reduce).Reduce(i < n && reached ? i : INT_MAX, MinOf());
    if (threadIdx.x == 0) {
      carry += chunk_total;
      if (first != INT_MAX) hit = first;
    }
    __syncthreads();  // hit is visible
    if (hit >= 0) {
      if (i == hit) hit_sum = inclusive;
      __syncthreads();
      break;
    }
  }
  *found_index = hit;
  *found_sum = hit >= 0 ? hit_sum : carry;
  __syncthreads();  // the shared state may be reused by the next call
}

// One block per sampled row, over its sorted logits (descending; equal logits by lower id).
__global__ void sample_sorted_kernel(const SampleRowParams* params, int64_t vocab, Workspace w,
                                     int32_t* tokens) {
  const int j = blockIdx.x;
  const SampleRowParams p = params[j];
  const float* logit = w.sorted_keys + int64_t{j} * vocab;
  const int32_t* ids = w.sorted_ids + int64_t{j} * vocab;
  const float max_logit = logit[0];
  if (!isfinite(max_logit)) return;  // nothing finite to weigh: the argmax already there stays
  const int k = (p.top_k <= 0 || p.top_k >= vocab) ? static_cast<int>(vocab) : p.top_k;
  const float inv_t = 1.0f / p.temperature;
  auto weight = [&](int i) -> double { return expf((logit[i] - max_logit) * inv_t); };

  // The nucleus: the shortest prefix whose weight reaches top_p of the top-k's.
  const double total = block_total(k, weight);
  int keep = k;
  double kept_mass = total;
  int index = -1;
  double sum = 0.0;
  if (p.top_p <= 0.0f) {
    keep = 1;
    kept_mass = weight(0);
  } else if (p.top_p < 1.0f) {
    first_reaching<false>(k, static_cast<double>(p.top_p) * total, weight, &index, &sum);
    if (index >= 0) keep = index + 1;
    kept_mass = sum;  // the whole sum when rounding kept it short of the target
  }

  // The draw: the first candidate whose cumulative (float) probability passes u.
  const double u = counter_uniform(p.stream_key, p.draw_index);
  auto prob = [&](int i) -> double {
    return static_cast<double>(static_cast<float>(weight(i) / kept_mass));
  };
  first_reaching<true>(keep, u, prob, &index, &sum);
  if (threadIdx.x != 0) return;
  if (index < 0) {  // rounding left u above the last partial sum: the last candidate with weight
    index = keep - 1;
    while (index > 0 && prob(index) <= 0.0) --index;
  }
  tokens[p.row] = ids[index];
}

}  // namespace

size_t sample_rows_workspace_bytes(int64_t max_rows, int64_t vocab) {
  if (max_rows <= 0) return 0;
  const size_t items = static_cast<size_t>(max_rows * vocab);
  return 2 * align_up(items * sizeof(float)) + 2 * align_up(items * sizeof(int32_t)) +
         align_up((max_rows + 1) * sizeof(int32_t)) + sort_temp_bytes(max_rows, vocab);
}

void sample_rows(const float* logits, int64_t rows, int64_t vocab, const SampleRowParams* params,
                 int n_sampled, void* workspace, size_t workspace_bytes, int32_t* tokens,
                 cudaStream_t stream) {
  if (rows == 0) return;
  TPBENCH_CHECK(vocab > 0 && rows * vocab <= INT_MAX,
                "sample_rows: " + std::to_string(rows) + " rows of " + std::to_string(vocab));
  argmax_rows(logits, rows, vocab, tokens, stream);
  if (n_sampled == 0) return;
  TPBENCH_CHECK(
      n_sampled <= rows && n_sampled < 65536,
      "sample_rows: " + std::to_string(n_sampled) + " sampled rows of " + std::to_string(rows));
  Workspace w = carve(workspace, workspace_bytes, n_sampled, vocab);
  size_t temp_bytes = sort_temp_bytes(n_sampled, vocab);
  TPBENCH_CHECK(temp_bytes <= w.sort_temp_bytes,
                "sample_rows: workspace of " + std::to_string(workspace_bytes) + " bytes is short");

  const int chunks = static_cast<int>(std::min<int64_t>((vocab + 4095) / 4096, 64));
  prepare_kernel<<<dim3(chunks, n_sampled), kPrepareThreads, 0, stream>>>(logits, vocab, params,
                                                                          n_sampled, w);
  CUDA_CHECK(cudaGetLastError());
  cub::DoubleBuffer<float> keys(w.keys[0], w.keys[1]);
  cub::DoubleBuffer<int32_t> ids(w.ids[0], w.ids[1]);
  CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairsDescending(
      w.sort_temp, temp_bytes, keys, ids, static_cast<int>(n_sampled * vocab), n_sampled, w.offsets,
      w.offsets + 1, 0, static_cast<int>(sizeof(float) * 8), stream));
  w.sorted_keys = keys.Current();  // the dispatch picked the buffer on the host
  w.sorted_ids = ids.Current();
  sample_sorted_kernel<<<n_sampled, kSampleThreads, 0, stream>>>(params, vocab, w, tokens);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace tpbench::cuda
