#pragma once
// The seam between the backend-neutral engine (scheduler, KV block manager, sampler) and a
// backend's forward pass. The leader's scheduler builds a StepPlan, broadcasts it to its TP
// followers, and every rank of the replica runs the same plan on its shard of the weights.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace tpbench {

struct SequenceChunk {
  uint64_t request_id = 0;
  std::vector<int32_t> tokens;       // fed this step: a prefill chunk, or the one decode token
  int32_t start_pos = 0;             // position of tokens[0]; KV for [0, start_pos) is cached
  std::vector<int32_t> block_table;  // KV blocks covering [0, start_pos + tokens.size())
  bool want_logits = false;          // the last token's logits are needed (decode, prefill end)
  // The request's prompt length, fixed for its life (preemption included): dynamic RoPE scaling
  // derives the request's rotary base from it (rope_base_for_request). 0: plain base.
  int32_t prompt_len = 0;
};

struct StepPlan {
  std::vector<SequenceChunk> seqs;
  bool shutdown = false;  // followers leave run_follower() on this plan
};

// Serialisation of a plan for the leader -> follower broadcast.
std::vector<uint8_t> encode_plan(const StepPlan& plan);
StepPlan decode_plan(const uint8_t* data, size_t size);

struct KvLayout {
  int64_t bytes_per_block = 0;  // this rank's bytes for one block of block_size tokens, all layers
  int32_t max_context = 0;      // longest request (prompt + max_new_tokens); 0: no limit
  std::string max_context_why;  // what sets max_context, for the refusal message
};

// The sampling of one sequence's next token: its parameters and which draw of its random stream
// this token is. sample_token (engine/scheduler/sampler.hpp) is the rule: the same logits,
// parameters and draw give the same token on every backend.
struct SamplingRow {
  SamplingParams params;  // its seed is already in stream_key
  uint64_t stream_key = 0;
  uint64_t draw_index = 0;
  // Tokens this draw may not return: their logits count as -inf (a request's stop tokens until
  // it has min_new_tokens). At most kMaxStopTokenIds, each below the vocabulary size.
  std::vector<int32_t> masked_tokens;
};

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  virtual int32_t vocab_size() const = 0;
  virtual KvLayout kv_layout(int block_size) const = 0;
  // Bytes this rank may spend on KV cache at --cache-max-entry-count = fraction
  // (free device/host memory after weights x fraction).
  virtual int64_t kv_budget_bytes(double fraction) const = 0;
  virtual void allocate_kv(int32_t num_blocks, int block_size) = 0;
  // Runs the plan on this rank and samples. On the TP leader `rows` has one entry per seq with
  // want_logits (plan order) and on return tokens[i] is the token drawn for the i-th of them
  // with rows[i]; a runner samples where its logits are, so only token ids come back. On a TP
  // follower `rows` is empty and `tokens` comes back empty: it only joins the collectives.
  virtual void forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
                       std::vector<int32_t>& tokens) = 0;
  virtual std::string describe() const = 0;
  // The GPU it computes on; none for host runners.
  virtual std::optional<GpuIdentity> device() const { return std::nullopt; }
};

}  // namespace tpbench
