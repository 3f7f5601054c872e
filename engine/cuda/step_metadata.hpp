#pragma once
// A StepPlan flattened into the arrays the CUDA kernels read (built on the host, uploaded in one
// copy): every token of every chunk is one row of the step's activations.
#include <cstdint>
#include <vector>

#include "engine/model_runner.hpp"
#include "kernels/cuda/attention_seq.hpp"
#include "kernels/cuda/prefill_attention.cuh"

namespace tpbench {

struct StepMetadata {
  std::vector<int32_t> ids;                          // [tokens]
  std::vector<int32_t> positions;                    // [tokens]
  std::vector<int64_t> slots;                        // [tokens]: KV-cache row of each token
  std::vector<int32_t> block_tables;                 // the chunks' used blocks, one after another
  std::vector<cuda::AttentionSeqDesc> decode_seqs;   // chunks of one token
  std::vector<cuda::AttentionSeqDesc> prefill_seqs;  // longer chunks
  std::vector<cuda::PrefillTile> prefill_tiles;      // .seq indexes prefill_seqs
  std::vector<int32_t> logit_rows;  // last row of each chunk that wants logits, in plan order
  int max_decode_splits = 0;        // decode_attention_splits of the longest decode context

  int64_t n_tokens() const { return static_cast<int64_t>(ids.size()); }
};

// A pure decode step (every chunk one token that wants logits): what a captured CUDA graph
// can replay.
bool is_pure_decode(const StepMetadata& m);

// Fills `out` from `plan`. Throws InputError for a token outside [0, vocab_size) and
// InternalError for an empty chunk, a short block table or a block id outside [0, num_blocks).
void build_step_metadata(const StepPlan& plan, int block_size, int32_t num_blocks,
                         int32_t vocab_size, StepMetadata& out);

}  // namespace tpbench
