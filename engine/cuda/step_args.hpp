#pragma once
// Device pointers and counts of one step, as the layer sequence (Transformer) reads them: from
// the step's upload (StepUpload) or from the decode graphs' fixed inputs (DecodeGraphRunner).
#include <cstdint>

#include "kernels/cuda/attention_seq.hpp"
#include "kernels/cuda/prefill_attention.cuh"

namespace tpbench {

struct StepArgs {
  int64_t rows = 0;  // token rows of the step's activations
  const int32_t* ids = nullptr;
  const int32_t* positions = nullptr;
  const int64_t* slots = nullptr;
  const int32_t* tables = nullptr;
  const cuda::AttentionSeqDesc* decode = nullptr;
  int n_decode = 0;
  int decode_splits = 0;
  const cuda::AttentionSeqDesc* prefill = nullptr;
  const cuda::PrefillTile* tiles = nullptr;
  int n_tiles = 0;
  const int32_t* logit_rows = nullptr;
  int64_t n_logits = 0;
};

}  // namespace tpbench
