#include "engine/scheduler/scheduler.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace tpbench {

Scheduler::Scheduler(const SchedulerConfig& config)
    : config_(config), blocks_(config.num_blocks, config.block_size) {
  TPBENCH_CHECK(config.max_batch_size >= 1,
                "max_batch_size " + std::to_string(config.max_batch_size));
  TPBENCH_CHECK(config.max_prefill_tokens >= 1,
                "max_prefill_tokens " + std::to_string(config.max_prefill_tokens));
  // Free blocks kept back when admitting beside running sequences, so that a fresh admission
  // does not immediately force the running decodes into preemption.
  admission_watermark_ = std::max(1, config.num_blocks / 100);
}

std::optional<std::string> Scheduler::add(EngineRequest&& request, uint64_t stream_key,
                                          int32_t vocab_size) {
  const std::string who = "request " + std::to_string(request.id) + ": ";
  if (request.prompt.empty()) return who + "empty prompt";
  if (request.max_new_tokens < 1)
    return who + "max_new_tokens " + std::to_string(request.max_new_tokens) + " < 1";
  if (request.min_new_tokens < 0 || request.min_new_tokens > request.max_new_tokens)
    return who + "min_new_tokens " + std::to_string(request.min_new_tokens) +
           " outside [0, max_new_tokens " + std::to_string(request.max_new_tokens) + "]";
  if (request.stop_token_ids.size() > kMaxStopTokenIds)
    return who + std::to_string(request.stop_token_ids.size()) + " stop tokens; at most " +
           std::to_string(kMaxStopTokenIds);
  for (int32_t t : request.stop_token_ids)
    if (t < 0 || (vocab_size > 0 && t >= vocab_size))
      return who + "stop token " + std::to_string(t) + " outside the vocabulary of " +
             std::to_string(vocab_size);
  const int64_t prompt = static_cast<int64_t>(request.prompt.size());
  const int64_t total = prompt + request.max_new_tokens;
  const std::string lengths = "prompt " + std::to_string(prompt) + " + max_new_tokens " +
                              std::to_string(request.max_new_tokens) + " = " +
                              std::to_string(total) + " tokens";
  if (config_.max_context > 0 && total > config_.max_context)
    return who + lengths + " exceeds the model's max context " +
           std::to_string(config_.max_context) +
           (config_.max_context_why.empty() ? "" : " (" + config_.max_context_why + ")");
  if (blocks_.blocks_for(total) > blocks_.num_blocks())
    return who + lengths + " needs " + std::to_string(blocks_.blocks_for(total)) +
           " KV blocks of " + std::to_string(config_.block_size) + " tokens; the whole cache has " +
           std::to_string(blocks_.num_blocks());

  const int32_t slot = new_slot();
  Sequence& s = pool_[slot];
  s.id = request.id;
  s.sampling = request.sampling;
  s.stream_key = stream_key;
  s.tokens.clear();
  s.tokens.reserve(total);
  s.tokens.insert(s.tokens.end(), request.prompt.begin(), request.prompt.end());
  s.prompt_len = static_cast<int32_t>(prompt);
  s.max_new_tokens = request.max_new_tokens;
  s.stop_token_ids = std::move(request.stop_token_ids);
  s.min_new_tokens = request.min_new_tokens;
  s.num_computed = 0;
  s.in_prefill = false;
  s.finished = false;
  s.block_table.clear();
  waiting_.push_back(slot);
  return std::nullopt;
}

int32_t Scheduler::new_slot() {
  if (!free_slots_.empty()) {
    int32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  pool_.emplace_back();
  return static_cast<int32_t>(pool_.size() - 1);
}

void Scheduler::release_slot(int32_t slot) {
  Sequence& s = pool_[slot];
  blocks_.release(s.block_table);
  s.finished = true;
  free_slots_.push_back(slot);
}

bool Scheduler::cancel(uint64_t id) {
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (pool_[*it].id != id) continue;
    release_slot(*it);
    running_.erase(it);
    return true;
  }
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (pool_[*it].id != id) continue;
    release_slot(*it);  // a preempted sequence has no blocks left: nothing to release
    waiting_.erase(it);
    return true;
  }
  return false;
}

void Scheduler::preempt(int32_t slot) {
  Sequence& s = pool_[slot];
  blocks_.release(s.block_table);
  s.num_computed = 0;
  s.in_prefill = false;
  waiting_.push_front(slot);
  ++counters_.preemptions;
}

void Scheduler::emit(StepPlan& plan, int32_t slot, int32_t n) {
  Sequence& s = pool_[slot];
  if (plan_size_ == plan.seqs.size()) plan.seqs.emplace_back();
  SequenceChunk& c = plan.seqs[plan_size_++];
  planned_.push_back(slot);
  const int32_t end = s.num_computed + n;
  c.request_id = s.id;
  c.start_pos = s.num_computed;
  c.prompt_len = s.prompt_len;
  c.tokens.assign(s.tokens.begin() + s.num_computed, s.tokens.begin() + end);
  c.block_table.assign(s.block_table.begin(), s.block_table.begin() + blocks_.blocks_for(end));
  c.want_logits = end == static_cast<int32_t>(s.tokens.size());
  (s.in_prefill ? counters_.prefill_tokens : counters_.decode_tokens) += n;
  s.num_computed = end;
  if (c.want_logits) s.in_prefill = false;
}

void Scheduler::schedule(StepPlan& plan) {
  plan.shutdown = false;
  plan_size_ = 0;
  planned_.clear();
  int32_t budget = config_.max_prefill_tokens;
  bool preempted = false;

  // Running sequences, oldest first. Preemption victims come from the back (newest), which
  // this loop has not reached yet.
  size_t i = 0;
  while (i < running_.size()) {
    const int32_t slot = running_[i];
    Sequence& s = pool_[slot];
    const int32_t len = static_cast<int32_t>(s.tokens.size());
    if (s.in_prefill) {
      const int32_t n = std::min(len - s.num_computed, budget);
      if (n > 0) {
        budget -= n;
        emit(plan, slot, n);
      }
      ++i;
      continue;
    }
    TPBENCH_CHECK(len - s.num_computed == 1, "decode of request " + std::to_string(s.id) +
                                                 " with " + std::to_string(len - s.num_computed) +
                                                 " uncached tokens");
    bool self_preempted = false;
    while (!blocks_.grow(s.block_table, len)) {
      preempted = true;
      if (running_.size() - 1 > i) {
        preempt(running_.back());
        running_.pop_back();
      } else {
        preempt(slot);
        running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) continue;
    emit(plan, slot, 1);
    ++i;
  }

  // Admission, first come first served: the head of the queue waits rather than being
  // overtaken, so no request starves.
  while (!preempted && !waiting_.empty() &&
         running_.size() < static_cast<size_t>(config_.max_batch_size) && budget > 0) {
    const int32_t slot = waiting_.front();
    Sequence& s = pool_[slot];
    const int32_t len = static_cast<int32_t>(s.tokens.size());
    const int64_t reserve = running_.empty() ? 0 : admission_watermark_;
    if (blocks_.blocks_for(len) + reserve > blocks_.num_free()) break;
    waiting_.pop_front();
    TPBENCH_CHECK(blocks_.grow(s.block_table, len), "admission of request " + std::to_string(s.id));
    s.num_computed = 0;
    s.in_prefill = true;
    running_.push_back(slot);
    const int32_t n = std::min(len, budget);
    budget -= n;
    emit(plan, slot, n);
  }
  plan.seqs.resize(plan_size_);
}

void Scheduler::complete(const int32_t* sampled, int64_t time_ns,
                         std::vector<StepResult::Token>& out) {
  size_t j = 0;
  bool any_finished = false;
  for (size_t i = 0; i < plan_size_; ++i) {
    Sequence& s = pool_[planned_[i]];
    if (s.in_prefill || s.num_computed != static_cast<int32_t>(s.tokens.size())) continue;
    const int32_t token = sampled[j++];
    const bool may_stop = !s.stop_tokens_masked();
    s.tokens.push_back(token);
    const bool stopped = may_stop && std::find(s.stop_token_ids.begin(), s.stop_token_ids.end(),
                                               token) != s.stop_token_ids.end();
    s.finished = stopped || s.generated() == s.max_new_tokens;
    out.push_back({s.id, token, s.finished, time_ns});
    if (s.finished) {
      blocks_.release(s.block_table);
      any_finished = true;
    }
  }
  if (!any_finished) return;
  size_t kept = 0;
  for (int32_t slot : running_) {
    if (pool_[slot].finished)
      free_slots_.push_back(slot);
    else
      running_[kept++] = slot;
  }
  running_.resize(kept);
}

}  // namespace tpbench
