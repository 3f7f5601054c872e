#include "engine/cuda/step_metadata.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "kernels/cuda/decode_attention.cuh"

namespace tpbench {

void build_step_metadata(const StepPlan& plan, int block_size, int32_t num_blocks,
                         int32_t vocab_size, StepMetadata& m) {
  TPBENCH_CHECK(block_size > 0 && num_blocks > 0, "forward before allocate_kv");
  m.ids.clear();
  m.positions.clear();
  m.slots.clear();
  m.block_tables.clear();
  m.decode_seqs.clear();
  m.prefill_seqs.clear();
  m.prefill_tiles.clear();
  m.logit_rows.clear();
  m.max_decode_splits = 0;
  for (const SequenceChunk& c : plan.seqs) {
    const std::string req = "request " + std::to_string(c.request_id);
    TPBENCH_CHECK(!c.tokens.empty() && c.start_pos >= 0, req + ": empty chunk");
    const int64_t end = c.start_pos + static_cast<int64_t>(c.tokens.size());
    const int64_t used_blocks = (end + block_size - 1) / block_size;
    TPBENCH_CHECK(static_cast<int64_t>(c.block_table.size()) >= used_blocks,
                  req + ": block table too short");
    for (int64_t b = 0; b < used_blocks; ++b)
      TPBENCH_CHECK(c.block_table[b] >= 0 && c.block_table[b] < num_blocks,
                    req + ": block id out of range");

    cuda::AttentionSeqDesc seq;
    seq.first_token = m.n_tokens();
    seq.n_tokens = static_cast<int32_t>(c.tokens.size());
    seq.start_pos = c.start_pos;
    seq.block_table_offset = static_cast<int32_t>(m.block_tables.size());
    m.block_tables.insert(m.block_tables.end(), c.block_table.begin(),
                          c.block_table.begin() + used_blocks);
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      const int32_t t = c.tokens[i];
      if (t < 0 || t >= vocab_size)
        throw InputError(req + ": token id " + std::to_string(t) +
                         " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
      const int32_t pos = c.start_pos + static_cast<int32_t>(i);
      m.ids.push_back(t);
      m.positions.push_back(pos);
      m.slots.push_back(int64_t{c.block_table[pos / block_size]} * block_size + pos % block_size);
    }
    if (seq.n_tokens == 1) {
      m.decode_seqs.push_back(seq);
      m.max_decode_splits =
          std::max(m.max_decode_splits, cuda::decode_attention_splits(int64_t{c.start_pos} + 1));
    } else {
      cuda::append_prefill_tiles(static_cast<int32_t>(m.prefill_seqs.size()), seq.n_tokens,
                                 m.prefill_tiles);
      m.prefill_seqs.push_back(seq);
    }
    if (c.want_logits) m.logit_rows.push_back(static_cast<int32_t>(m.n_tokens() - 1));
  }
}

bool is_pure_decode(const StepMetadata& m) {
  return m.n_tokens() > 0 && m.prefill_seqs.empty() &&
         static_cast<int64_t>(m.decode_seqs.size()) == m.n_tokens() &&
         static_cast<int64_t>(m.logit_rows.size()) == m.n_tokens();
}

}  // namespace tpbench
