#pragma once
// The forward pass of a Llama-family model on one GPU per TP rank: weights in bf16 / fp16 /
// fp32 (--dtype), fp32 accumulation and residual stream, cuBLAS GEMMs, the kernels of
// kernels/cuda, NCCL all-reduce / all-gather between the replica's ranks. Computes what
// CpuModelRunner computes.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "common/engine_options.hpp"
#include "engine/comm/communicator.hpp"
#include "engine/cuda/cuda_device.hpp"
#include "engine/cuda/cuda_forward.hpp"
#include "engine/cuda/cuda_tuning.hpp"
#include "engine/cuda/device_communicator.hpp"
#include "engine/cuda/dtype.hpp"
#include "engine/cuda/step_metadata.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/tp_shard.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

class CudaModelRunner final : public ModelRunner {
 public:
  // Picks GPU options.local_rank % visible GPUs (select_gpu: a collective over the node's engine
  // ranks when options.node_all_gather is set), reads options.model_dir/config.json, loads this
  // rank's shard (random weights with options.dummy_weights) in the resolved dtype. `comm` is
  // the replica's host communicator (it bootstraps NCCL when tp > 1). `tuning`: benchmark
  // variants (the defaults are the engine's). Throws InputError when no GPU is visible, the GPU
  // cannot run the dtype, or the model directory is bad.
  CudaModelRunner(const EngineOptions& options, Communicator& comm, const CudaTuning& tuning = {});
  ~CudaModelRunner() override;

  int32_t vocab_size() const override { return config_.vocab_size; }
  KvLayout kv_layout(int block_size) const override;
  // Free GPU memory (after weights and activations) x fraction / the engine ranks of this node
  // sharing the GPU. Throws InputError when that
  // does not hold one sequence of the model's full context (max_position_embeddings).
  int64_t kv_budget_bytes(double fraction) const override;
  void allocate_kv(int32_t num_blocks, int block_size) override;
  // The TP leader samples on the GPU (ForwardPass::forward_sampled: only token ids come back);
  // a follower runs the step's kernels and collectives without copying logits.
  void forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
               std::vector<int32_t>& tokens) override;
  std::string describe() const override;
  // Runs the plan and copies to `logits` (on the TP leader; empty on followers) the
  // full-vocabulary fp32 logits of each seq with want_logits, in plan order. For tests and
  // benchmarks that compare logits; the engine calls forward().
  void forward_logits(const StepPlan& plan, std::vector<float>& logits);
  std::optional<GpuIdentity> device() const override {
    return GpuIdentity{gpu_.name, gpu_.pci_bus_id, gpu_.total_bytes};
  }

  DType dtype() const { return dtype_; }
  const ModelConfig& config() const { return config_; }
  // This rank's GPU, and (node_gpus) those of the node's engine ranks.
  const GpuInfo& gpu() const { return gpu_; }

 private:
  EngineOptions options_;
  Communicator& comm_;
  GpuInfo gpu_;
  ModelConfig config_;
  TpShard shard_;
  DType dtype_ = DType::kBFloat16;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  CudaTuning tuning_;
  std::unique_ptr<DeviceCommunicator> nccl_;
  std::unique_ptr<ForwardPass> pass_;
  int32_t num_blocks_ = 0;
  int block_size_ = 0;
  StepMetadata meta_;
  std::vector<float> no_logits_;  // a follower's forward copies none
};

}  // namespace tpbench
