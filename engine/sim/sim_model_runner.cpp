#include "engine/sim/sim_model_runner.hpp"

#include <chrono>
#include <thread>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/tp_shard.hpp"
#include "engine/scheduler/kv_capacity.hpp"

namespace tpbench {

int32_t sim_token(uint64_t request_id, int64_t pos, int32_t vocab) {
  // splitmix64 finaliser of the pair
  uint64_t x = request_id * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(pos);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<int32_t>(x % static_cast<uint64_t>(vocab));
}

SimModelRunner::SimModelRunner(const EngineOptions& options, Communicator& comm)
    : time_(options), tp_(comm.size()), leader_(comm.rank() == 0) {
  if (options.kv_cache_bytes <= 0) return;
  if (options.model_dir.empty())
    throw InputError(
        "--kv-cache-bytes with --backend sim: needs MODEL (its config.json gives the KV bytes "
        "per token)");
  ModelConfig config;
  TpShard shard;
  try {
    config = load_model_config(options.model_dir);
    shard = make_tp_shard(config, comm.rank(), comm.size(), options.model_dir + "/config.json");
  } catch (const InputError& e) {
    throw InputError(std::string("--kv-cache-bytes with --backend sim: ") + e.what());
  }
  element_bytes_ = options.dtype == DtypeChoice::kFloat32 ? 4 : 2;
  layout_per_token_ = kv_layout_for(config, shard, 1, element_bytes_);
  vocab_ = config.vocab_size;
  bounded_ = true;
}

KvLayout SimModelRunner::kv_layout(int block_size) const {
  if (!bounded_) return {1, 0};  // with kv_budget_bytes below: kMaxKvBlocks blocks, no max context
  return {layout_per_token_.bytes_per_block * block_size, layout_per_token_.max_context};
}

int64_t SimModelRunner::kv_budget_bytes(double) const {
  // Only reached unbounded: a bounded sim has --kv-cache-bytes, which replica_kv_blocks uses.
  return kMaxKvBlocks;
}

void SimModelRunner::wait_step(const StepPlan& plan) const {
  const int64_t start = steady_now_ns();
  const int64_t ns = time_.step_ns(step_shape(plan));
  if (ns <= 0) return;
  // A sleep overshoots by tens of microseconds: sleep to just before the deadline, then yield.
  const auto deadline = SteadyClock::time_point(std::chrono::nanoseconds(start + ns));
  constexpr auto kYieldSpan = std::chrono::microseconds(100);
  if (ns > std::chrono::nanoseconds(kYieldSpan).count())
    std::this_thread::sleep_until(deadline - kYieldSpan);
  while (SteadyClock::now() < deadline) std::this_thread::yield();
}

void SimModelRunner::forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
                             std::vector<int32_t>& tokens) {
  wait_step(plan);
  tokens.clear();
  if (!leader_) {
    TPBENCH_CHECK(rows.empty(), "sim: sampling rows on a TP follower");
    return;
  }
  for (const SequenceChunk& c : plan.seqs)
    if (c.want_logits)
      tokens.push_back(
          sim_token(c.request_id, c.start_pos + static_cast<int64_t>(c.tokens.size()), vocab_));
  TPBENCH_CHECK(tokens.size() == rows.size(), "sim: " + std::to_string(tokens.size()) +
                                                  " tokens for " + std::to_string(rows.size()) +
                                                  " sampling rows");
}

std::string SimModelRunner::describe() const {
  std::string d = "sim: " + time_.describe() + ", tp " + std::to_string(tp_) + ", vocab " +
                  std::to_string(vocab_);
  if (!bounded_) return d + ", KV unbounded";
  return d + ", KV " + std::to_string(layout_per_token_.bytes_per_block) +
         " bytes/token on this rank (" + std::to_string(element_bytes_) + "-byte elements)";
}

}  // namespace tpbench
