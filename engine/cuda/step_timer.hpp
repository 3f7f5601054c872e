#pragma once
// Where the time of a GPU step goes: cudaEvents recorded on the step's stream between its kernel
// groups, summed over the layers and over the steps timed. Eager steps only: an event recorded
// while a graph is captured would be baked into the graph, so a forward pass with an active
// timer does not replay its decode graphs (their total is measured without it).
#include <cuda_runtime_api.h>

#include <array>
#include <vector>

namespace tpbench {

enum class StepPhase {
  kUpload,  // the step's metadata, host to device
  kEmbedding,
  kRmsnorm,  // rmsnorm / add_rmsnorm of every layer
  kQkvGemm,
  kRopeKvWrite,
  kAttention,  // decode and prefill attention
  kOGemm,
  kAllReduce,  // with its conversions to and from the model's dtype
  kGateUpGemm,
  kSilu,
  kDownGemm,
  kLmHead,    // final norm, LM head GEMM, (TP) logits all-gather
  kSampling,  // GPU sampling and the token copy back
  kCount
};

const char* step_phase_name(StepPhase phase);  // "qkv_gemm", ...

class StepTimer {
 public:
  StepTimer() = default;
  ~StepTimer();
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;

  // Whether the forward pass times its steps now (and runs them eagerly).
  bool active() const { return active_; }
  void set_active(bool active) { active_ = active; }

  // Called by the forward pass: begin() at the start of a step, lap(p) after each group of
  // kernels (the time since the previous mark is p's), end() once the stream is synchronised.
  void begin(cudaStream_t stream);
  void lap(StepPhase phase);
  void end();

  int steps() const { return steps_; }
  double total_ms(StepPhase phase) const { return totals_ms_[static_cast<int>(phase)]; }
  double total_ms() const;  // all phases
  void reset();

 private:
  cudaEvent_t event(size_t i);
  bool active_ = false;
  cudaStream_t stream_ = nullptr;
  std::vector<cudaEvent_t> events_;  // reused between steps
  std::vector<StepPhase> phases_;    // phase of the interval ending at events_[i + 1]
  size_t used_ = 0;
  int steps_ = 0;
  std::array<double, static_cast<int>(StepPhase::kCount)> totals_ms_{};
};

}  // namespace tpbench
