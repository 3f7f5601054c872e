#include "engine/cuda/step_metadata.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "engine/cuda/device_memory.hpp"
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

DecodeGraphLayout decode_graph_layout(int32_t max_rows, int32_t max_blocks_per_seq) {
  DecodeGraphLayout l;
  l.max_rows = max_rows;
  l.max_blocks_per_seq = max_blocks_per_seq;
  size_t at = 0;
  auto place = [&at](size_t bytes) {
    const size_t offset = at;
    at += device_aligned(bytes);
    return offset;
  };
  const size_t rows = static_cast<size_t>(max_rows);
  l.ids = place(rows * sizeof(int32_t));
  l.positions = place(rows * sizeof(int32_t));
  l.slots = place(rows * sizeof(int64_t));
  l.seqs = place(rows * sizeof(cuda::AttentionSeqDesc));
  l.logit_rows = place(rows * sizeof(int32_t));
  l.tables = place(rows * static_cast<size_t>(max_blocks_per_seq) * sizeof(int32_t));
  l.bytes = at;
  return l;
}

void fill_decode_graph_inputs(const StepMetadata& m, int32_t bucket, const DecodeGraphLayout& l,
                              int32_t pad_block, int block_size, unsigned char* staging) {
  const int64_t n = m.n_tokens();
  TPBENCH_CHECK(n == 0 || is_pure_decode(m),
                "decode graph inputs of a step that is not pure decode");
  TPBENCH_CHECK(n <= bucket && bucket <= l.max_rows,
                "decode graph of " + std::to_string(bucket) + " rows for " + std::to_string(n) +
                    " sequences (at most " + std::to_string(l.max_rows) + ")");
  auto* ids = reinterpret_cast<int32_t*>(staging + l.ids);
  auto* positions = reinterpret_cast<int32_t*>(staging + l.positions);
  auto* slots = reinterpret_cast<int64_t*>(staging + l.slots);
  auto* seqs = reinterpret_cast<cuda::AttentionSeqDesc*>(staging + l.seqs);
  auto* rows = reinterpret_cast<int32_t*>(staging + l.logit_rows);
  auto* tables = reinterpret_cast<int32_t*>(staging + l.tables);
  for (int32_t i = 0; i < bucket; ++i) {
    cuda::AttentionSeqDesc seq;
    seq.first_token = i;
    seq.n_tokens = 1;
    seq.block_table_offset = i * l.max_blocks_per_seq;
    int32_t* table = tables + seq.block_table_offset;
    if (i < n) {
      const cuda::AttentionSeqDesc& real = m.decode_seqs[i];
      TPBENCH_CHECK(real.first_token == i, "decode rows out of order");
      const int32_t used = real.start_pos / block_size + 1;
      TPBENCH_CHECK(used <= l.max_blocks_per_seq,
                    "decode at position " + std::to_string(real.start_pos) +
                        " beyond the graphs' " + std::to_string(l.max_blocks_per_seq) + " blocks");
      std::memcpy(table, m.block_tables.data() + real.block_table_offset, used * sizeof(int32_t));
      seq.start_pos = real.start_pos;
      ids[i] = m.ids[i];
      positions[i] = m.positions[i];
      slots[i] = m.slots[i];
    } else {
      table[0] = pad_block;
      seq.start_pos = 0;
      ids[i] = 0;
      positions[i] = 0;
      slots[i] = int64_t{pad_block} * block_size;
    }
    seqs[i] = seq;
    rows[i] = i;
  }
}

}  // namespace tpbench
