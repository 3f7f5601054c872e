#include <string>

#include "common/clock.hpp"
#include "common/counter_rng.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/scheduler/batched_engine_impl.hpp"
#include "engine/scheduler/kv_capacity.hpp"
#include "engine/scheduler/plan_codec.hpp"

namespace tpbench {
namespace {

SchedulerConfig scheduler_config(const ModelRunner& runner, const EngineOptions& options,
                                 Communicator& comm) {
  if (options.cache_block_seq_len < 1)
    throw InputError("--cache-block-seq-len " + std::to_string(options.cache_block_seq_len) +
                     ": must be >= 1");
  if (options.max_batch_size < 1)
    throw InputError("--max-batch-size " + std::to_string(options.max_batch_size) +
                     ": must be >= 1");
  if (options.max_prefill_tokens < 1)
    throw InputError("--max-prefill-tokens " + std::to_string(options.max_prefill_tokens) +
                     ": must be >= 1");
  SchedulerConfig c;
  c.num_blocks = replica_kv_blocks(runner, options, comm);
  c.block_size = options.cache_block_seq_len;
  c.max_batch_size = options.max_batch_size;
  c.max_prefill_tokens = options.max_prefill_tokens;
  const KvLayout layout = runner.kv_layout(options.cache_block_seq_len);
  c.max_context = layout.max_context;
  c.max_context_why = layout.max_context_why;
  return c;
}

}  // namespace

BatchedEngine::BatchedEngine(std::unique_ptr<ModelRunner> runner, const EngineOptions& options,
                             Communicator& comm)
    : runner_(std::move(runner)),
      comm_(comm),
      options_(options),
      scheduler_(scheduler_config(*runner_, options, comm)) {
  runner_->allocate_kv(scheduler_.blocks().num_blocks(), options.cache_block_seq_len);
}

BatchedEngine::~BatchedEngine() {
  try {
    shutdown();
  } catch (const std::exception& e) {
    log_error(std::string("batched engine shutdown: ") + e.what());
  }
}

void BatchedEngine::add(EngineRequest request) {
  TPBENCH_CHECK(is_leader(), "add() on TP follower rank " + std::to_string(comm_.rank()));
  TPBENCH_CHECK(!shut_down_, "add() after shutdown()");
  const uint64_t id = request.id;
  const uint64_t key = counter_stream_key(request.sampling.seed, id);
  if (auto reason = scheduler_.add(std::move(request), key, runner_->vocab_size()))
    failures_.push_back({id, std::move(*reason), steady_now_ns()});
}

void BatchedEngine::cancel(uint64_t id) {
  TPBENCH_CHECK(is_leader(), "cancel() on TP follower rank " + std::to_string(comm_.rank()));
  if (scheduler_.cancel(id)) return;
  std::erase_if(failures_, [id](const StepResult::Failure& f) { return f.request_id == id; });
}

size_t BatchedEngine::pending() const {
  return scheduler_.num_waiting() + scheduler_.num_running() + failures_.size();
}

void BatchedEngine::broadcast_plan(const StepPlan& plan) {
  if (comm_.size() == 1) return;
  encode_plan_into(plan, wire_);
  uint64_t size = wire_.size();
  comm_.broadcast(&size, sizeof(size), 0);
  comm_.broadcast(wire_.data(), wire_.size(), 0);
}

void BatchedEngine::fill_sampling_rows(const StepPlan& plan) {
  sampling_rows_.clear();
  for (size_t i = 0; i < plan.seqs.size(); ++i) {
    if (!plan.seqs[i].want_logits) continue;
    const Sequence& s = scheduler_.planned(i);
    sampling_rows_.push_back({s.sampling, s.stream_key, static_cast<uint64_t>(s.generated()),
                              s.stop_tokens_masked() ? s.stop_token_ids : std::vector<int32_t>{}});
  }
}

StepResult BatchedEngine::step() {
  TPBENCH_CHECK(is_leader(), "step() on TP follower rank " + std::to_string(comm_.rank()));
  TPBENCH_CHECK(!shut_down_, "step() after shutdown()");
  const int64_t t0 = steady_now_ns();
  StepResult result;
  result.failures.swap(failures_);
  scheduler_.schedule(plan_);
  if (!plan_.seqs.empty()) {
    broadcast_plan(plan_);
    const int64_t forward_start = steady_now_ns();
    fill_sampling_rows(plan_);
    runner_->forward(plan_, sampling_rows_, sampled_);
    const int64_t tokens_at = steady_now_ns();  // the step's tokens exist from here on
    TPBENCH_CHECK(sampled_.size() == sampling_rows_.size(),
                  "runner sampled " + std::to_string(sampled_.size()) + " tokens for " +
                      std::to_string(sampling_rows_.size()) + " rows");
    if (!options_.step_profile_out.empty())
      profile_.push_back({step_shape(plan_), tokens_at - forward_start});
    result.tokens.reserve(sampled_.size());
    scheduler_.complete(sampled_.data(), tokens_at, result.tokens);
    ++steps_;
  } else {
    TPBENCH_CHECK(scheduler_.num_waiting() == 0 && scheduler_.num_running() == 0,
                  "empty plan with " + std::to_string(scheduler_.num_waiting()) + " waiting and " +
                      std::to_string(scheduler_.num_running()) + " running requests");
  }
  busy_ns_ += steady_now_ns() - t0;
  return result;
}

void BatchedEngine::run_follower() {
  TPBENCH_CHECK(!is_leader(), "run_follower() on the TP leader");
  StepPlan plan;
  std::vector<uint8_t> wire;
  const std::vector<SamplingRow> no_rows;  // the leader samples
  std::vector<int32_t> no_tokens;
  for (;;) {
    uint64_t size = 0;
    comm_.broadcast(&size, sizeof(size), 0);
    wire.resize(size);
    comm_.broadcast(wire.data(), size, 0);
    decode_plan_into(wire.data(), wire.size(), plan);
    if (plan.shutdown) break;
    runner_->forward(plan, no_rows, no_tokens);
    TPBENCH_CHECK(no_tokens.empty(), "runner sampled " + std::to_string(no_tokens.size()) +
                                         " tokens on TP follower rank " +
                                         std::to_string(comm_.rank()));
    ++steps_;
  }
  shut_down_ = true;
}

void BatchedEngine::shutdown() {
  if (shut_down_ || !is_leader()) return;
  shut_down_ = true;
  StepPlan plan;
  plan.shutdown = true;
  broadcast_plan(plan);
  if (!options_.step_profile_out.empty()) write_step_profile(options_.step_profile_out, profile_);
}

EngineStats BatchedEngine::stats() const {
  EngineStats s;
  s.steps = steps_;
  s.prefill_tokens = scheduler_.counters().prefill_tokens;
  s.decode_tokens = scheduler_.counters().decode_tokens;
  s.preemptions = scheduler_.counters().preemptions;
  s.kv_blocks_total = scheduler_.blocks().num_blocks();
  s.busy_ns = busy_ns_;
  return s;
}

std::string BatchedEngine::describe() const {
  const auto& b = scheduler_.blocks();
  return runner_->describe() + ", kv cache " + std::to_string(b.num_blocks()) + " blocks x " +
         std::to_string(b.block_size()) + " tokens (" +
         std::to_string(int64_t{b.num_blocks()} * b.block_size()) + " tokens)";
}

std::unique_ptr<Engine> make_batched_engine(std::unique_ptr<ModelRunner> runner,
                                            const EngineOptions& options, Communicator& comm) {
  TPBENCH_CHECK(runner != nullptr, "make_batched_engine without a runner");
  return std::make_unique<BatchedEngine>(std::move(runner), options, comm);
}

}  // namespace tpbench
