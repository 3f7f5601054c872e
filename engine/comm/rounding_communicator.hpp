#pragma once
// The CPU twin of the CUDA backend's all-reduce in the model's dtype (docs/ARCHITECTURE.md,
// "Tensor parallelism"): wraps a host communicator so that all_reduce_sum rounds each rank's
// partial sums to `type`, sums them in fp32 (the wrapped communicator), and rounds the sum to
// `type`. For 2 ranks that is exactly NCCL's result (one addition of two `type` values, rounded
// once); with more ranks NCCL rounds after every addition of its ring or tree, so the twin can
// differ by up to (ranks - 2) half-ulps of `type`. Every other collective is passed through.
#include "engine/comm/communicator.hpp"
#include "engine/comm/reduce_rounding.hpp"

namespace tpbench {

class RoundingCommunicator final : public Communicator {
 public:
  RoundingCommunicator(Communicator& inner, ReduceType type) : inner_(inner), type_(type) {}
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  // Rounds even on one rank: a TP 1 run through it sees the rounding TP > 1 would add.
  void all_reduce_sum(float* data, size_t count) override {
    round_to(type_, data, count);
    inner_.all_reduce_sum(data, count);
    round_to(type_, data, count);
  }
  void broadcast(void* data, size_t bytes, int root) override {
    inner_.broadcast(data, bytes, root);
  }
  void all_gather(const float* send, float* recv, size_t count) override {
    inner_.all_gather(send, recv, count);
  }
  void barrier() override { inner_.barrier(); }

 private:
  Communicator& inner_;
  ReduceType type_;
};

}  // namespace tpbench
