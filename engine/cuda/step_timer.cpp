#include "engine/cuda/step_timer.hpp"

#include <numeric>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

const char* step_phase_name(StepPhase phase) {
  switch (phase) {
    case StepPhase::kUpload:
      return "upload";
    case StepPhase::kEmbedding:
      return "embedding";
    case StepPhase::kRmsnorm:
      return "rmsnorm";
    case StepPhase::kQkvGemm:
      return "qkv_gemm";
    case StepPhase::kRopeKvWrite:
      return "rope_kv_write";
    case StepPhase::kAttention:
      return "attention";
    case StepPhase::kOGemm:
      return "o_gemm";
    case StepPhase::kAllReduce:
      return "all_reduce";
    case StepPhase::kGateUpGemm:
      return "gate_up_gemm";
    case StepPhase::kSilu:
      return "silu";
    case StepPhase::kDownGemm:
      return "down_gemm";
    case StepPhase::kLmHead:
      return "lm_head";
    case StepPhase::kSampling:
      return "sampling";
    case StepPhase::kCount:
      break;
  }
  return "?";
}

StepTimer::~StepTimer() {
  for (cudaEvent_t e : events_) (void)cudaEventDestroy(e);
}

cudaEvent_t StepTimer::event(size_t i) {
  while (events_.size() <= i) {
    cudaEvent_t e = nullptr;
    CUDA_CHECK(cudaEventCreate(&e));
    events_.push_back(e);
  }
  return events_[i];
}

void StepTimer::begin(cudaStream_t stream) {
  stream_ = stream;
  used_ = 0;
  phases_.clear();
  CUDA_CHECK(cudaEventRecord(event(used_++), stream_));
}

void StepTimer::lap(StepPhase phase) {
  TPBENCH_CHECK(used_ > 0, "StepTimer::lap outside a step");
  CUDA_CHECK(cudaEventRecord(event(used_++), stream_));
  phases_.push_back(phase);
}

void StepTimer::end() {
  if (used_ == 0) return;
  CUDA_CHECK(cudaEventSynchronize(events_[used_ - 1]));
  for (size_t i = 0; i + 1 < used_; ++i) {
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, events_[i], events_[i + 1]));
    totals_ms_[static_cast<int>(phases_[i])] += ms;
  }
  used_ = 0;
  ++steps_;
}

double StepTimer::total_ms() const {
  return std::accumulate(totals_ms_.begin(), totals_ms_.end(), 0.0);
}

void StepTimer::reset() {
  totals_ms_.fill(0.0);
  steps_ = 0;
  used_ = 0;
}

}  // namespace tpbench
