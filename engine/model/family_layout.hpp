#pragma once
// How each model family stores the engine's Llama-layout tensors in its checkpoint. The loader
// asks for Llama names (model.layers.N.self_attn.q_proj.weight, ...); llama_view() answers from
// the family's own tensors:
//  - llama, mistral, qwen2, internlm, internlm3: the Llama names themselves (internlm's extra
//    rotary_emb.inv_freq buffers are simply never read);
//  - internlm2 (InternLM2 / 2.5): renamed tensors (tok_embeddings, attention.wo,
//    feed_forward.w1/w3/w2, attention_norm, ffn_norm, output) and one fused attention.wqkv whose
//    rows are grouped per KV head: for KV head j, its g = heads / kv_heads query heads, then K
//    head j, then V head j (g + 2 blocks of head_dim rows). q/k/v rows and biases are read
//    head by head out of it, so any TP slice (split or replicated KV heads) is exact.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/model_config.hpp"

namespace tpbench {

// Fills `out` with rows [row0, row0 + rows) x columns [col0, col0 + cols) of the full tensor
// `name` of shape `shape` ([n] for a 1-D tensor, which is one row).
using TensorReadFn =
    std::function<void(const std::string& name, const std::vector<int64_t>& shape, int64_t row0,
                       int64_t rows, int64_t col0, int64_t cols, float* out)>;

// The checkpoint's name for the Llama-named tensor `llama_name` (for q/k/v of internlm2: the
// fused wqkv tensor's name).
std::string checkpoint_tensor_name(const ModelConfig& config, const std::string& llama_name);

// A reader of Llama-named tensors on top of `checkpoint_read`, a reader of the checkpoint's own.
TensorReadFn llama_view(const ModelConfig& config, TensorReadFn checkpoint_read);

// internlm2: the first row of query head `head` (kind 'q'), or of KV head `head`'s K ('k') or
// V ('v') block, in the fused wqkv.
int64_t internlm2_wqkv_row(const ModelConfig& config, char kind, int64_t head);

}  // namespace tpbench
