#pragma once
// A ModelRunner without a model, for scheduler tests. Its "KV cache" stores, per block slot,
// which request wrote which token at which position; forward() checks that every position
// below start_pos was written by this request in exactly the block its block table names,
// and the logits it returns depend on the whole token history read back from that cache. So
// a block-table, preemption or recompute bug either throws here or changes the tokens. It
// samples as the cpu runner does (sample_rows with the engine's SamplingRows), so a wrong row
// changes the tokens too.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "engine/model_runner.hpp"
#include "engine/scheduler/sampler.hpp"

namespace tpbench::testing {

struct FakeRunnerConfig {
  int32_t vocab = 53;
  int64_t bytes_per_block = 1000;
  int64_t budget_bytes = 1000 * 1000;  // kv_budget_bytes at fraction 1
  int32_t max_context = 4096;
  bool produce_logits = true;  // false on TP followers: no logits, no sampling rows expected
};

// Order-dependent hash of a token history.
inline uint64_t fold_history(uint64_t h, int32_t token) {
  return (h ^ static_cast<uint64_t>(token + 1)) * 0x100000001B3ull + 0x9E37ull;
}

// The token the logits favour after a history with hash h whose last position is pos.
inline int32_t favoured_token(uint64_t h, int32_t pos, int32_t vocab) {
  return static_cast<int32_t>((h % 1000003 * 31 + static_cast<uint64_t>(pos)) % vocab);
}

// Logits peaked at the favoured token, falling with circular distance, plus a small
// history-dependent wobble, so non-greedy sampling has several live candidates.
inline void fill_logits(uint64_t h, int32_t pos, int32_t vocab, float* out) {
  const int32_t target = favoured_token(h, pos, vocab);
  for (int32_t v = 0; v < vocab; ++v) {
    int32_t d = std::abs(v - target);
    d = std::min(d, vocab - d);
    const float wobble = static_cast<float>((h >> (v % 48)) & 7) * 0.01f;
    out[v] = -0.7f * static_cast<float>(d) + (v == target ? 0.1f : wobble);
  }
}

// What greedy decoding must produce for a prompt, computed without any engine.
inline std::vector<int32_t> reference_greedy(const std::vector<int32_t>& prompt, int32_t n,
                                             int32_t vocab) {
  std::vector<int32_t> tokens = prompt;
  std::vector<float> logits(vocab);
  uint64_t h = 0;
  for (int32_t t : prompt) h = fold_history(h, t);
  std::vector<int32_t> out;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t pos = static_cast<int32_t>(tokens.size()) - 1;
    const int32_t next = favoured_token(h, pos, vocab);
    out.push_back(next);
    tokens.push_back(next);
    h = fold_history(h, next);
  }
  return out;
}

// What the engine must produce for a request with any sampling parameters: each token drawn
// with sample_token from the fake's logits, as draw n of the request's own stream
// (counter_stream_key of its seed and id). Computed without any engine.
inline std::vector<int32_t> reference_sampled(const EngineRequest& r, int32_t vocab) {
  const uint64_t key = counter_stream_key(r.sampling.seed, r.id);
  std::vector<float> logits(vocab);
  uint64_t h = 0;
  for (int32_t t : r.prompt) h = fold_history(h, t);
  int32_t pos = static_cast<int32_t>(r.prompt.size()) - 1;
  std::vector<int32_t> out;
  for (int32_t n = 0; n < r.max_new_tokens; ++n, ++pos) {
    fill_logits(h, pos, vocab, logits.data());
    const int32_t next = sample_token(logits.data(), vocab, r.sampling, key, n);
    out.push_back(next);
    h = fold_history(h, next);
  }
  return out;
}

class FakeModelRunner final : public ModelRunner {
 public:
  struct Slot {
    bool written = false;
    uint64_t request_id = 0;
    uint32_t incarnation = 0;  // a prefill from position 0 starts a new one
    int32_t pos = 0;
    int32_t token = 0;
  };
  struct PlanSummary {
    size_t seqs = 0;
    int64_t tokens = 0;
    uint64_t digest = 0;  // of the encoded plan
  };

  explicit FakeModelRunner(FakeRunnerConfig config) : config_(config) {}

  int32_t vocab_size() const override { return config_.vocab; }
  KvLayout kv_layout(int) const override {
    return {config_.bytes_per_block, config_.max_context, {}};
  }
  int64_t kv_budget_bytes(double fraction) const override {
    return static_cast<int64_t>(static_cast<double>(config_.budget_bytes) * fraction);
  }
  void allocate_kv(int32_t num_blocks, int block_size) override {
    num_blocks_ = num_blocks;
    block_size_ = block_size;
    slots_.assign(static_cast<size_t>(num_blocks) * block_size, Slot{});
  }

  void forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
               std::vector<int32_t>& tokens) override {
    forward_logits(plan, logits_);
    tokens.clear();
    if (!config_.produce_logits) {
      if (!rows.empty()) fail("sampling rows on a follower");
      return;
    }
    if (logits_.size() != rows.size() * config_.vocab) fail("rows do not match logits");
    sample_rows(logits_.data(), config_.vocab, rows, tokens);
    forward_returned_ns_ = steady_now_ns();
  }

  // The logits of each seq with want_logits, plan order (none when !produce_logits).
  void forward_logits(const StepPlan& plan, std::vector<float>& logits) {
    if (plan.shutdown) fail("forward() of a shutdown plan");
    if (plan.seqs.empty()) fail("forward() of an empty plan");
    check_disjoint(plan);
    if (record_) recorded_.push_back(plan);
    PlanSummary summary;
    summary.seqs = plan.seqs.size();
    for (uint8_t b : encode_plan(plan)) summary.digest = fold_history(summary.digest, b);
    size_t rows = 0;
    for (const SequenceChunk& c : plan.seqs) rows += c.want_logits;
    logits.assign(config_.produce_logits ? rows * config_.vocab : 0, 0.0f);
    size_t row = 0;
    for (const SequenceChunk& c : plan.seqs) {
      summary.tokens += static_cast<int64_t>(c.tokens.size());
      const uint64_t h = run_chunk(c);
      if (c.want_logits && config_.produce_logits) {
        const int32_t last = c.start_pos + static_cast<int32_t>(c.tokens.size()) - 1;
        fill_logits(h, last, config_.vocab, logits.data() + row * config_.vocab);
      }
      row += c.want_logits;
    }
    plans_.push_back(summary);
  }

  std::string describe() const override {
    return "fake runner, vocab " + std::to_string(config_.vocab);
  }

  const std::vector<PlanSummary>& plans() const { return plans_; }
  // steady_now_ns() as the last forward() returned.
  int64_t forward_returned_ns() const { return forward_returned_ns_; }
  const std::vector<StepPlan>& recorded() const { return recorded_; }
  void record_plans(bool on) { record_ = on; }
  int32_t allocated_blocks() const { return num_blocks_; }
  int32_t allocated_block_size() const { return block_size_; }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    throw std::logic_error("fake runner: " + what);
  }

  Slot& slot_at(const SequenceChunk& c, int32_t pos) {
    const int32_t block = c.block_table[pos / block_size_];
    if (block < 0 || block >= num_blocks_) fail("block id " + std::to_string(block));
    return slots_[static_cast<size_t>(block) * block_size_ + pos % block_size_];
  }

  // Checks and reads the cached history, writes this chunk's KV; returns the history hash
  // through the chunk's last token.
  uint64_t run_chunk(const SequenceChunk& c) {
    const std::string who = "request " + std::to_string(c.request_id) + ": ";
    if (c.tokens.empty()) fail(who + "empty chunk");
    if (c.start_pos < 0) fail(who + "start_pos " + std::to_string(c.start_pos));
    const int64_t end = c.start_pos + static_cast<int64_t>(c.tokens.size());
    if (end > config_.max_context) fail(who + "beyond max context");
    const int64_t blocks = (end + block_size_ - 1) / block_size_;
    if (static_cast<int64_t>(c.block_table.size()) != blocks)
      fail(who + "block table of " + std::to_string(c.block_table.size()) + " blocks for " +
           std::to_string(end) + " tokens");
    uint32_t& incarnation = incarnations_[c.request_id];
    if (c.start_pos == 0) ++incarnation;
    uint64_t h = 0;
    for (int32_t p = 0; p < c.start_pos; ++p) {
      const Slot& s = slot_at(c, p);
      if (!s.written || s.request_id != c.request_id || s.incarnation != incarnation || s.pos != p)
        fail(who + "KV of position " + std::to_string(p) + " missing from block " +
             std::to_string(c.block_table[p / block_size_]));
      h = fold_history(h, s.token);
    }
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      const int32_t p = c.start_pos + static_cast<int32_t>(i);
      slot_at(c, p) = {true, c.request_id, incarnation, p, c.tokens[i]};
      h = fold_history(h, c.tokens[i]);
    }
    return h;
  }

  void check_disjoint(const StepPlan& plan) {
    std::vector<uint64_t> owner(num_blocks_, UINT64_MAX);
    std::vector<uint64_t> ids;
    for (const SequenceChunk& c : plan.seqs) {
      if (std::find(ids.begin(), ids.end(), c.request_id) != ids.end())
        fail("request " + std::to_string(c.request_id) + " twice in one plan");
      ids.push_back(c.request_id);
      for (int32_t b : c.block_table) {
        if (b < 0 || b >= num_blocks_) fail("block id " + std::to_string(b));
        if (owner[b] != UINT64_MAX)
          fail("block " + std::to_string(b) + " shared by requests " + std::to_string(owner[b]) +
               " and " + std::to_string(c.request_id));
        owner[b] = c.request_id;
      }
    }
  }

  FakeRunnerConfig config_;
  int32_t num_blocks_ = 0;
  int32_t block_size_ = 1;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, uint32_t> incarnations_;
  std::vector<PlanSummary> plans_;
  std::vector<StepPlan> recorded_;
  std::vector<float> logits_;
  bool record_ = false;
  int64_t forward_returned_ns_ = 0;
};

}  // namespace tpbench::testing
