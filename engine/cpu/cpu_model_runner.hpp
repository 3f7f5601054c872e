#pragma once
// The fp32 reference forward pass of a Llama-family model on the host: one TP rank's shard,
// OpenBLAS GEMMs, OpenMP kernels (kernels/cpu), MPI all-reduce between ranks.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/engine_options.hpp"
#include "engine/comm/communicator.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/tp_shard.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

class CpuModelRunner final : public ModelRunner {
 public:
  // Reads options.model_dir/config.json and loads this rank's shard of the weights (random ones
  // with options.dummy_weights). Throws InputError on a bad model directory. A step's buffers
  // are reserved up front for the engine's limits: at most options.max_batch_size sequences
  // and options.max_prefill_tokens + max_batch_size tokens (both must be >= 1).
  CpuModelRunner(const EngineOptions& options, Communicator& comm);
  ~CpuModelRunner() override;

  int32_t vocab_size() const override { return config_.vocab_size; }
  KvLayout kv_layout(int block_size) const override;
  // options.kv_cache_bytes when set; otherwise MemAvailable x fraction shared by the ranks of
  // this node (OMPI_COMM_WORLD_LOCAL_SIZE, else the TP size), capped at 4 GiB per rank: the CPU
  // backend is a reference, and a larger cache only lets more sequences wait on 2 cores.
  int64_t kv_budget_bytes(double fraction) const override;
  void allocate_kv(int32_t num_blocks, int block_size) override;
  // forward_logits, then sample_rows on the TP leader (every rank gets the full logits).
  void forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
               std::vector<int32_t>& tokens) override;
  std::string describe() const override;

  // Runs the plan; on return `logits` holds, for each seq with want_logits (plan order), the
  // full-vocabulary fp32 logits of its last token, on every rank of the replica. For tests and
  // benchmarks that compare logits; the engine calls forward().
  void forward_logits(const StepPlan& plan, std::vector<float>& logits);

  const ModelConfig& config() const { return config_; }
  const TpShard& shard() const { return shard_; }

 private:
  struct Scratch;  // per-step activations, reused between steps

  void check_plan(const StepPlan& plan) const;
  void compute_logits(const std::vector<int64_t>& rows, std::vector<float>& logits);

  EngineOptions options_;
  Communicator& comm_;
  ModelConfig config_;
  TpShard shard_;
  ModelWeights weights_;
  std::vector<float> inv_freq_;

  int32_t num_blocks_ = 0;
  int block_size_ = 0;
  std::vector<std::unique_ptr<float[]>> k_cache_, v_cache_;  // per layer [rows, kv_heads, hd]

  int64_t max_step_seqs_ = 0;    // options.max_batch_size
  int64_t max_step_tokens_ = 0;  // options.max_prefill_tokens + max_batch_size
  std::unique_ptr<Scratch> scratch_;
  std::vector<float> logits_;  // forward()'s, reused between steps
};

}  // namespace tpbench
