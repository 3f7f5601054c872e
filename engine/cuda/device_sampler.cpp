#include "engine/cuda/device_sampler.hpp"

#include <cstring>
#include <string>

#include "common/error.hpp"
#include "engine/engine.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

DeviceSampler::DeviceSampler(int64_t max_rows, int64_t vocab, bool draws)
    : max_rows_(max_rows), vocab_(vocab), draws_(draws) {
  tokens_dev_.ensure(max_rows);
  if (draws) {
    workspace_.ensure(cuda::sample_rows_workspace_bytes(max_rows, vocab));
    params_dev_.ensure(max_rows * sizeof(cuda::SampleRowParams));
    params_host_.ensure(max_rows * sizeof(cuda::SampleRowParams));
  }
  tokens_host_.ensure(max_rows * sizeof(int32_t));
  params_.reserve(draws ? max_rows : 0);
  const int64_t masked_bytes = max_rows * kMaxStopTokenIds * sizeof(cuda::MaskedToken);
  masked_host_.ensure(masked_bytes);
  masked_dev_.ensure(masked_bytes);
  masked_.reserve(max_rows * kMaxStopTokenIds);
}

void DeviceSampler::enqueue(float* logits, const std::vector<SamplingRow>& rows,
                            cudaStream_t stream) {
  const int64_t n = static_cast<int64_t>(rows.size());
  TPBENCH_CHECK(n <= max_rows_, "sampling " + std::to_string(n) + " rows: the GPU sampler holds " +
                                    std::to_string(max_rows_));
  params_.clear();
  masked_.clear();
  for (int64_t r = 0; r < n; ++r) {
    const SamplingRow& row = rows[r];
    TPBENCH_CHECK(row.masked_tokens.size() <= kMaxStopTokenIds,
                  std::to_string(row.masked_tokens.size()) + " masked tokens in sampling row " +
                      std::to_string(r) + "; at most " + std::to_string(kMaxStopTokenIds));
    for (int32_t t : row.masked_tokens) {
      TPBENCH_CHECK(t >= 0 && t < vocab_, "masked token " + std::to_string(t) +
                                              " outside the vocabulary of " +
                                              std::to_string(vocab_));
      masked_.push_back({static_cast<int32_t>(r), t});
    }
    if (is_greedy(row.params)) continue;
    cuda::SampleRowParams p;
    p.row = static_cast<int32_t>(r);
    p.top_k = row.params.top_k;
    p.top_p = row.params.top_p;
    p.temperature = row.params.temperature;
    p.stream_key = row.stream_key;
    p.draw_index = row.draw_index;
    params_.push_back(p);
  }
  const int n_sampled = static_cast<int>(params_.size());
  if (n_sampled > 0) {
    const size_t ws_bytes = cuda::sample_rows_workspace_bytes(n_sampled, vocab_);
    TPBENCH_CHECK(draws_ && ws_bytes <= workspace_.capacity(),
                  std::to_string(n_sampled) +
                      " rows to draw from (top-k / top-p / temperature): the GPU sampler's "
                      "workspace holds " +
                      std::to_string(draws_ ? max_rows_ : 0) +
                      (draws_ ? "" : " (built for a greedy-only run)"));
    const size_t param_bytes = params_.size() * sizeof(cuda::SampleRowParams);
    std::memcpy(params_host_.data(), params_.data(), param_bytes);
    CUDA_CHECK(cudaMemcpyAsync(params_dev_.data(), params_host_.data(), param_bytes,
                               cudaMemcpyHostToDevice, stream));
  }
  if (!masked_.empty()) {
    const size_t masked_bytes = masked_.size() * sizeof(cuda::MaskedToken);
    std::memcpy(masked_host_.data(), masked_.data(), masked_bytes);
    CUDA_CHECK(cudaMemcpyAsync(masked_dev_.data(), masked_host_.data(), masked_bytes,
                               cudaMemcpyHostToDevice, stream));
    cuda::mask_tokens(logits, vocab_,
                      reinterpret_cast<const cuda::MaskedToken*>(masked_dev_.data()),
                      static_cast<int>(masked_.size()), stream);
  }
  cuda::sample_rows(logits, n, vocab_,
                    reinterpret_cast<const cuda::SampleRowParams*>(params_dev_.data()), n_sampled,
                    workspace_.data(), workspace_.capacity(), tokens_dev_.data(), stream);
  CUDA_CHECK(cudaMemcpyAsync(tokens_host_.data(), tokens_dev_.data(), n * sizeof(int32_t),
                             cudaMemcpyDeviceToHost, stream));
  last_rows_ = n;
}

void DeviceSampler::read(std::vector<int32_t>& tokens) const {
  tokens.resize(last_rows_);
  std::memcpy(tokens.data(), tokens_host_.data(), last_rows_ * sizeof(int32_t));
}

}  // namespace tpbench
