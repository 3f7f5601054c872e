#pragma once
// Iteration-level continuous batching over a paged KV cache (vLLM / LMDeploy style).
//
// Each step, in priority order (oldest admission first), every running sequence gets work:
// a decode sequence feeds its one new token; a sequence in prefill feeds the next chunk of
// its prompt that fits the step's prefill token budget. A decode that needs a block when
// none is free preempts the newest running sequence (its blocks are freed and it goes back
// to the head of the waiting queue, to be recomputed from prompt + generated tokens later).
// Then, unless this step preempted, waiting requests are admitted first come first served
// while the batch size, the prefill budget and the free blocks allow. Admission reserves
// blocks for the whole current sequence, so a prefill never needs blocks mid-way.
//
// Progress: a request is accepted only if prompt + max_new_tokens fits the whole cache, so
// the oldest running sequence can always make progress by preempting newer ones.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/model_runner.hpp"
#include "engine/scheduler/kv_block_manager.hpp"

namespace tpbench {

// The engine's limits (EngineOptions) and the KV cache it got; no defaults of its own.
struct SchedulerConfig {
  int32_t num_blocks = 0;
  int32_t block_size = 0;
  int32_t max_batch_size = 0;      // running sequences
  int32_t max_prefill_tokens = 0;  // prefill tokens fed per step (decode tokens not counted)
  int32_t max_context = 0;         // 0: no model limit
  std::string max_context_why;     // appended to the refusal of a longer request
};

struct Sequence {
  uint64_t id = 0;
  SamplingParams sampling;
  uint64_t stream_key = 0;
  std::vector<int32_t> tokens;  // prompt followed by the generated tokens
  int32_t prompt_len = 0;
  int32_t max_new_tokens = 0;
  std::vector<int32_t> stop_token_ids;  // ends the request once min_new_tokens exist
  int32_t min_new_tokens = 0;
  int32_t num_computed = 0;  // tokens whose KV is cached (or being written this step)
  bool in_prefill = false;   // admitted, the KV of tokens[0, size-1) not yet complete
  bool finished = false;
  std::vector<int32_t> block_table;

  int32_t generated() const { return static_cast<int32_t>(tokens.size()) - prompt_len; }
  // The next draw may not return a stop token: fewer than min_new_tokens exist.
  bool stop_tokens_masked() const {
    return !stop_token_ids.empty() && generated() < min_new_tokens;
  }
};

struct SchedulerCounters {
  int64_t prefill_tokens = 0;
  int64_t decode_tokens = 0;
  int64_t preemptions = 0;
};

class Scheduler {
 public:
  explicit Scheduler(const SchedulerConfig& config);

  // Queues a request. Returns the reason when it can never run (nothing is queued then).
  // vocab_size: stop tokens must be below it (0: not checked).
  std::optional<std::string> add(EngineRequest&& request, uint64_t stream_key,
                                 int32_t vocab_size = 0);

  // Drops a waiting or running request (between steps): its blocks are freed, it is never
  // planned again. Returns whether it was there.
  bool cancel(uint64_t id);

  // Plans the next step into `plan`, reusing its storage. Empty when nothing is queued.
  void schedule(StepPlan& plan);

  // The sequence behind plan.seqs[i] of the last schedule().
  const Sequence& planned(size_t i) const { return pool_[planned_[i]]; }

  // After the forward pass: `sampled` holds one token per want_logits seq of the last plan, in
  // plan order, available since `time_ns`. Appends them, reports them in `out` (plan order),
  // retires finished sequences: max_new_tokens reached, or a stop token drawn once
  // min_new_tokens exist.
  void complete(const int32_t* sampled, int64_t time_ns, std::vector<StepResult::Token>& out);

  size_t num_waiting() const { return waiting_.size(); }
  size_t num_running() const { return running_.size(); }
  const KvBlockManager& blocks() const { return blocks_; }
  const SchedulerCounters& counters() const { return counters_; }
  const SchedulerConfig& config() const { return config_; }

 private:
  int32_t new_slot();
  void preempt(int32_t slot);
  void emit(StepPlan& plan, int32_t slot, int32_t n);
  void release_slot(int32_t slot);

  SchedulerConfig config_;
  KvBlockManager blocks_;
  std::vector<Sequence> pool_;  // slots reused, so their vectors keep their capacity
  std::vector<int32_t> free_slots_;
  std::vector<int32_t> running_;  // admission order: oldest first
  std::deque<int32_t> waiting_;
  std::vector<int32_t> planned_;  // slot of each seq of the last plan
  size_t plan_size_ = 0;
  int32_t admission_watermark_ = 1;
  SchedulerCounters counters_;
};

}  // namespace tpbench
