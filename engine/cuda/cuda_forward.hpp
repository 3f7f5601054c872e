#pragma once
// The forward pass of one TP rank on the GPU, for one element type: device weights, paged KV
// cache, per-step activations, and the kernel sequence (the CUDA twin of CpuModelRunner's).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda/cuda_tuning.hpp"
#include "engine/cuda/device_communicator.hpp"
#include "engine/cuda/dtype.hpp"
#include "engine/cuda/step_metadata.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/tp_shard.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

struct ForwardContext {
  ModelConfig config;
  TpShard shard;
  std::vector<float> inv_freq;    // rope_inv_freq(config)
  cudaStream_t stream = nullptr;  // every kernel, GEMM and collective runs on it
  cublasHandle_t cublas = nullptr;
  // NCCL over device buffers; null when tp == 1 (unless tuning.nccl_at_tp1).
  DeviceCommunicator* device_comm = nullptr;
  // Activations are allocated up front, never grown, for this many token rows (>= 1) ...
  int64_t reserve_tokens = 0;
  int64_t reserve_logit_rows = 0;  // ... and this many logit rows: the largest batch
  // Pure decode steps of up to reserve_logit_rows sequences replay CUDA graphs (DecodeGraphs).
  bool cuda_graphs = true;
  // The run samples (not greedy only): GPU sampling's workspace is allocated up front.
  bool reserve_sampling = true;
  CudaTuning tuning;  // the engine's defaults
};

class ForwardPass {
 public:
  virtual ~ForwardPass() = default;
  virtual int64_t weight_bytes() const = 0;
  // Returns cudaErrorMemoryAllocation (and allocates nothing) when the cache does not fit.
  // With graphs it also holds one spare block (padding rows write there) and captures the
  // decode graphs: a collective over the replica, like every step.
  virtual cudaError_t allocate_kv(int32_t num_blocks, int block_size) = 0;
  // Runs the step. When copy_logits, `logits` gets the full-vocabulary fp32 rows of
  // meta.logit_rows (in order); the collectives run on every rank either way.
  virtual void forward(const StepMetadata& meta, std::vector<float>& logits, bool copy_logits) = 0;
  // Runs the step and samples on the GPU: tokens[i] is drawn for logits row i with rows[i]
  // (sample_token's rule); only the token ids are copied back. TP leader only (followers call
  // forward without copy_logits).
  virtual void forward_sampled(const StepMetadata& meta, const std::vector<SamplingRow>& rows,
                               std::vector<int32_t>& tokens) = 0;
  // "cuda graphs for decode steps of up to 256 rows (35 of 35 buckets captured)" or
  // "cuda graphs off".
  virtual std::string graph_summary() const = 0;
};

std::unique_ptr<ForwardPass> make_forward_pass(DType dtype, const ForwardContext& context,
                                               ModelWeights&& host_weights);

}  // namespace tpbench
