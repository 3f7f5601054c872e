#pragma once
// One sequence's chunk of queries, as the CUDA attention kernels read it from device memory
// (the GPU twin of cpu::AttentionSeq, with the block table in one flat array for the batch).
#include <cstdint>

namespace tpbench::cuda {

struct AttentionSeqDesc {
  int64_t first_token = 0;  // row of its first query in q / out
  int32_t n_tokens = 0;     // queries at positions [start_pos, start_pos + n_tokens)
  int32_t start_pos = 0;
  int32_t block_table_offset = 0;  // its first entry in the batch's flat block-table array
  int32_t padding = 0;
};

}  // namespace tpbench::cuda
