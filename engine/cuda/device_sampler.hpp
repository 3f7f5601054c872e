#pragma once
// Sampling on the GPU for the TP leader: one SamplingRow per logits row in, token ids out
// (cuda::sample_rows, sample_token's rule); only the ids travel to the host. Its buffers are
// allocated once, before the KV cache is sized from the free memory: for max_rows rows, and
// with `draws` the workspace for drawing (top-k / top-p / temperature) from all of them. A
// greedy-only run (draws false) needs none.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "engine/cuda/device_memory.hpp"
#include "engine/model_runner.hpp"
#include "kernels/cuda/mask_tokens.cuh"
#include "kernels/cuda/sample_rows.cuh"

namespace tpbench {

class DeviceSampler {
 public:
  DeviceSampler(int64_t max_rows, int64_t vocab, bool draws);

  // Queues the sampling of `logits` [rows.size(), vocab] (device) and the copy of the ids to
  // pinned host memory on `stream`; each row's masked_tokens are first set to -inf in `logits`.
  // Throws InternalError for more rows than max_rows, more than kMaxStopTokenIds masked tokens
  // in a row, or a row to draw from when the sampler was built without draws.
  void enqueue(float* logits, const std::vector<SamplingRow>& rows, cudaStream_t stream);
  // Once the stream has synchronized: the ids of the last enqueue.
  void read(std::vector<int32_t>& tokens) const;

 private:
  int64_t max_rows_ = 0;
  int64_t vocab_ = 0;
  bool draws_ = false;
  int64_t last_rows_ = 0;
  std::vector<cuda::SampleRowParams> params_;
  std::vector<cuda::MaskedToken> masked_;
  PinnedBuffer params_host_, tokens_host_, masked_host_;
  DeviceArray<unsigned char> params_dev_, workspace_, masked_dev_;
  DeviceArray<int32_t> tokens_dev_;
};

}  // namespace tpbench
