#pragma once
// The sim backend's forward pass: no model and no KV cache. Each step waits the time the step
// model gives for the plan's shape, on the TP leader and on every follower alike, and the leader
// returns synthetic token ids (sim_token) without computing logits.
//
// KV capacity is unbounded (kMaxKvBlocks blocks) unless --kv-cache-bytes is given; then MODEL's
// config.json gives the bytes per block (KV heads of this rank x head_dim x layers, 4 bytes an
// element at --dtype float32, else 2) and the real scheduler preempts when the cache is full.
#include <cstdint>
#include <string>
#include <vector>

#include "common/engine_options.hpp"
#include "engine/comm/communicator.hpp"
#include "engine/model_runner.hpp"
#include "engine/sim/step_time_model.hpp"

namespace tpbench {

// Vocabulary of the synthetic tokens when no model config is read.
inline constexpr int32_t kSimDefaultVocab = 32000;

// The token the sim produces at position `pos` of request `request_id`: a hash of the two, so
// it does not depend on batching, preemption or the replica.
int32_t sim_token(uint64_t request_id, int64_t pos, int32_t vocab);

class SimModelRunner final : public ModelRunner {
 public:
  // Throws InputError on a negative step time, or --kv-cache-bytes without a usable config.json.
  SimModelRunner(const EngineOptions& options, Communicator& comm);

  int32_t vocab_size() const override { return vocab_; }
  KvLayout kv_layout(int block_size) const override;
  int64_t kv_budget_bytes(double fraction) const override;
  void allocate_kv(int32_t, int) override {}
  // tokens[i] = sim_token of the i-th seq with want_logits at the position after its chunk;
  // the rows' parameters are not used. Followers (rows empty) only wait.
  void forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
               std::vector<int32_t>& tokens) override;
  std::string describe() const override;

 private:
  void wait_step(const StepPlan& plan) const;

  StepTimeModel time_;
  int tp_ = 1;
  bool leader_ = true;
  int32_t vocab_ = kSimDefaultVocab;
  bool bounded_ = false;
  KvLayout layout_per_token_;  // bounded: bytes_per_block holds the bytes of one token
  int element_bytes_ = 2;
};

}  // namespace tpbench
