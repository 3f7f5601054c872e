#include "engine/sim/sim_engine.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace tpbench {
namespace {

// What the leader tells its followers about each step: enough to sleep the same time.
struct SimPlan {
  int64_t tokens = 0;
  int64_t shutdown = 0;
};

class SimEngine final : public Engine {
 public:
  SimEngine(const EngineOptions& options, Communicator& comm) : options_(options), comm_(comm) {
    if (options_.max_batch_size < 1) throw InputError("--max-batch-size: must be at least 1");
    if (options_.sim_step_ms < 0 && (options_.sim_base_ms < 0 || options_.sim_per_token_us < 0))
      throw InputError("--sim-base-ms / --sim-per-token-us: must not be negative");
  }

  void add(EngineRequest request) override {
    if (request.max_new_tokens <= 0) {
      failures_.push_back({request.id, "max_new_tokens must be positive"});
      return;
    }
    waiting_.push_back(
        {request.id, static_cast<int32_t>(request.prompt.size()), request.max_new_tokens, 0});
  }

  StepResult step() override {
    int64_t start = steady_now_ns();
    StepResult result;
    result.failures.swap(failures_);
    int64_t prefill = 0;
    size_t first_new = running_.size();
    while (!waiting_.empty() && static_cast<int>(running_.size()) < options_.max_batch_size) {
      int64_t p = waiting_.front().prompt_len;
      if (running_.size() > first_new && prefill + p > options_.max_prefill_tokens) break;
      prefill += p;
      running_.push_back(waiting_.front());
      waiting_.pop_front();
    }
    if (running_.empty()) return result;
    int64_t decode = static_cast<int64_t>(first_new);
    SimPlan plan{prefill + decode, 0};
    if (comm_.size() > 1) comm_.broadcast(&plan, sizeof(plan), 0);
    sleep_for_step(plan.tokens);

    result.tokens.reserve(running_.size());
    size_t kept = 0;
    for (size_t i = 0; i < running_.size(); ++i) {
      Seq& s = running_[i];
      int32_t token =
          static_cast<int32_t>((s.id * 7919u + static_cast<uint64_t>(s.generated)) % 32000u);
      ++s.generated;
      bool finished = s.generated >= s.max_new;
      result.tokens.push_back({s.id, token, finished});
      if (!finished) running_[kept++] = s;
    }
    running_.resize(kept);
    ++stats_.steps;
    stats_.prefill_tokens += prefill;
    stats_.decode_tokens += decode;
    stats_.busy_ns += steady_now_ns() - start;
    return result;
  }

  size_t pending() const override { return waiting_.size() + running_.size() + failures_.size(); }

  void run_follower() override {
    while (true) {
      SimPlan plan;
      comm_.broadcast(&plan, sizeof(plan), 0);
      if (plan.shutdown) return;
      int64_t start = steady_now_ns();
      sleep_for_step(plan.tokens);
      ++stats_.steps;
      stats_.busy_ns += steady_now_ns() - start;
    }
  }

  void shutdown() override {
    if (shut_down_) return;
    shut_down_ = true;
    if (comm_.size() > 1 && comm_.rank() == 0) {
      SimPlan plan{0, 1};
      comm_.broadcast(&plan, sizeof(plan), 0);
    }
  }

  EngineStats stats() const override { return stats_; }

  std::string describe() const override {
    char buf[160];
    if (options_.sim_step_ms >= 0)
      std::snprintf(buf, sizeof buf, "sim: %.3g ms per step, max batch %d, tp %d",
                    options_.sim_step_ms, options_.max_batch_size, comm_.size());
    else
      std::snprintf(buf, sizeof buf, "sim: %.3g ms + %.3g us/token per step, max batch %d, tp %d",
                    options_.sim_base_ms, options_.sim_per_token_us, options_.max_batch_size,
                    comm_.size());
    return buf;
  }

 private:
  struct Seq {
    uint64_t id;
    int32_t prompt_len;
    int32_t max_new;
    int32_t generated;
  };

  void sleep_for_step(int64_t tokens) const {
    double ms =
        options_.sim_step_ms >= 0
            ? options_.sim_step_ms
            : options_.sim_base_ms + options_.sim_per_token_us * 1e-3 * static_cast<double>(tokens);
    if (ms <= 0) return;
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6)));
  }

  EngineOptions options_;
  Communicator& comm_;
  std::deque<Seq> waiting_;
  std::vector<Seq> running_;  // admitted; the first steps of newly admitted ones are prefills
  std::vector<StepResult::Failure> failures_;
  EngineStats stats_;
  bool shut_down_ = false;
};

}  // namespace

std::unique_ptr<Engine> make_sim_engine(const EngineOptions& options, Communicator& comm) {
  return std::make_unique<SimEngine>(options, comm);
}

}  // namespace tpbench
