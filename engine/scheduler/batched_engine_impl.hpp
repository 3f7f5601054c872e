#pragma once
// The Engine behind make_batched_engine, visible to tests (they inspect the scheduler).
#include <memory>
#include <vector>

#include "engine/scheduler/batched_engine.hpp"
#include "engine/scheduler/scheduler.hpp"
#include "engine/scheduler/step_profile.hpp"

namespace tpbench {

class BatchedEngine final : public Engine {
 public:
  // Collective over `comm`: every rank of the replica sizes and allocates its KV cache.
  BatchedEngine(std::unique_ptr<ModelRunner> runner, const EngineOptions& options,
                Communicator& comm);
  ~BatchedEngine() override;

  void add(EngineRequest request) override;
  StepResult step() override;
  size_t pending() const override;
  void cancel(uint64_t id) override;
  void run_follower() override;
  void shutdown() override;
  EngineStats stats() const override;
  std::string describe() const override;
  std::optional<GpuIdentity> device() const override { return runner_->device(); }

  const Scheduler& scheduler() const { return scheduler_; }

 private:
  bool is_leader() const { return comm_.rank() == 0; }
  void broadcast_plan(const StepPlan& plan);
  void fill_sampling_rows(const StepPlan& plan);

  std::unique_ptr<ModelRunner> runner_;
  Communicator& comm_;
  EngineOptions options_;
  Scheduler scheduler_;
  std::vector<StepResult::Failure> failures_;  // reported by the next step()
  StepPlan plan_;
  std::vector<uint8_t> wire_;
  std::vector<SamplingRow> sampling_rows_;  // one per seq of plan_ with want_logits
  std::vector<int32_t> sampled_;            // the runner's token for each of them
  bool shut_down_ = false;
  int64_t steps_ = 0;
  int64_t busy_ns_ = 0;
  std::vector<StepProfileRow> profile_;  // with --step-profile-out
};

}  // namespace tpbench
