#pragma once
// The forward pass of one TP rank on the GPU, for one element type: device weights, paged KV
// cache, per-step activations, and the kernel sequence (the CUDA twin of CpuModelRunner's).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/comm/communicator.hpp"
#include "engine/cuda/dtype.hpp"
#include "engine/cuda/step_metadata.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/tp_shard.hpp"

namespace tpbench {

struct ForwardContext {
  ModelConfig config;
  TpShard shard;
  std::vector<float> inv_freq;    // rope_inv_freq(config)
  cudaStream_t stream = nullptr;  // every kernel, GEMM and collective runs on it
  cublasHandle_t cublas = nullptr;
  Communicator* device_comm = nullptr;  // NCCL over device buffers; null when tp == 1
  int64_t reserve_tokens = 0;           // activations are allocated up front for this many rows ...
  int64_t reserve_logit_rows = 0;       // ... and this many logit rows (they grow when exceeded)
};

class ForwardPass {
 public:
  virtual ~ForwardPass() = default;
  virtual int64_t weight_bytes() const = 0;
  // Returns cudaErrorMemoryAllocation (and allocates nothing) when the cache does not fit.
  virtual cudaError_t allocate_kv(int32_t num_blocks, int block_size) = 0;
  // Runs the step. When copy_logits, `logits` gets the full-vocabulary fp32 rows of
  // meta.logit_rows (in order); the collectives run on every rank either way.
  virtual void forward(const StepMetadata& meta, std::vector<float>& logits, bool copy_logits) = 0;
};

std::unique_ptr<ForwardPass> make_forward_pass(DType dtype, const ForwardContext& context,
                                               ModelWeights&& host_weights);

}  // namespace tpbench
