#include "engine/model/model_weights.hpp"

#include <cmath>
#include <functional>
#include <memory>

#include "common/counter_rng.hpp"
#include "common/error.hpp"
#include "engine/model/checkpoint.hpp"
#include "engine/model/family_layout.hpp"

namespace tpbench {
namespace {

using ReadFn = TensorReadFn;  // of the Llama-named tensors

struct ShardReader {
  ReadFn read;

  std::vector<float> vector(const std::string& name, int64_t n) const {
    std::vector<float> v(n);
    read(name, {n}, 0, 1, 0, n, v.data());
    return v;
  }
  std::vector<float> slice(const std::string& name, int64_t n, int64_t begin, int64_t len) const {
    std::vector<float> v(len);
    read(name, {n}, 0, 1, begin, len, v.data());
    return v;
  }
  std::vector<float> rows(const std::string& name, int64_t out_features, int64_t in_features,
                          int64_t row0, int64_t nrows) const {
    std::vector<float> v(nrows * in_features);
    read(name, {out_features, in_features}, row0, nrows, 0, in_features, v.data());
    return v;
  }
  std::vector<float> columns(const std::string& name, int64_t out_features, int64_t in_features,
                             int64_t col0, int64_t ncols) const {
    std::vector<float> v(out_features * ncols);
    read(name, {out_features, in_features}, 0, out_features, col0, ncols, v.data());
    return v;
  }
};

ModelWeights load_with(const ModelConfig& c, const TpShard& s, const ShardReader& r,
                       bool has_lm_head_tensor) {
  const int64_t D = c.hidden_size, hd = c.head_dim, I = c.intermediate_size;
  const int64_t q_rows = int64_t{c.num_heads} * hd, kv_rows = int64_t{c.num_kv_heads} * hd;
  const int64_t q0 = int64_t{s.head_begin} * hd, ql = int64_t{s.heads} * hd;
  const int64_t kv0 = int64_t{s.kv_head_begin} * hd, kvl = int64_t{s.kv_heads} * hd;
  ModelWeights w;
  w.embedding = r.rows("model.embed_tokens.weight", c.vocab_size, D, 0, c.vocab_size);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.attn_norm = r.vector(p + "input_layernorm.weight", D);
    L.wq = r.rows(p + "self_attn.q_proj.weight", q_rows, D, q0, ql);
    L.wk = r.rows(p + "self_attn.k_proj.weight", kv_rows, D, kv0, kvl);
    L.wv = r.rows(p + "self_attn.v_proj.weight", kv_rows, D, kv0, kvl);
    if (c.qkv_bias) {
      L.bq = r.slice(p + "self_attn.q_proj.bias", q_rows, q0, ql);
      L.bk = r.slice(p + "self_attn.k_proj.bias", kv_rows, kv0, kvl);
      L.bv = r.slice(p + "self_attn.v_proj.bias", kv_rows, kv0, kvl);
    }
    L.wo = r.columns(p + "self_attn.o_proj.weight", D, q_rows, q0, ql);
    if (c.o_bias) L.bo = r.vector(p + "self_attn.o_proj.bias", D);
    L.ffn_norm = r.vector(p + "post_attention_layernorm.weight", D);
    L.w_gate = r.rows(p + "mlp.gate_proj.weight", I, D, s.intermediate_begin, s.intermediate);
    L.w_up = r.rows(p + "mlp.up_proj.weight", I, D, s.intermediate_begin, s.intermediate);
    L.w_down = r.columns(p + "mlp.down_proj.weight", D, I, s.intermediate_begin, s.intermediate);
    if (c.mlp_bias) {
      L.b_gate = r.slice(p + "mlp.gate_proj.bias", I, s.intermediate_begin, s.intermediate);
      L.b_up = r.slice(p + "mlp.up_proj.bias", I, s.intermediate_begin, s.intermediate);
      L.b_down = r.vector(p + "mlp.down_proj.bias", D);
    }
    w.layers.push_back(std::move(L));
  }
  w.final_norm = r.vector("model.norm.weight", D);
  if (!c.tie_word_embeddings || has_lm_head_tensor)
    w.lm_head = r.rows("lm_head.weight", c.vocab_size, D, s.vocab_begin, s.vocab);
  return w;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int64_t ModelWeights::bytes() const {
  int64_t n = embedding.size() + final_norm.size() + lm_head.size();
  for (const LayerWeights& L : layers)
    n += L.attn_norm.size() + L.wq.size() + L.wk.size() + L.wv.size() + L.bq.size() + L.bk.size() +
         L.bv.size() + L.wo.size() + L.bo.size() + L.ffn_norm.size() + L.w_gate.size() +
         L.w_up.size() + L.w_down.size() + L.b_gate.size() + L.b_up.size() + L.b_down.size();
  return n * static_cast<int64_t>(sizeof(float));
}

ModelWeights load_weights(const ModelConfig& config, const TpShard& shard,
                          const std::string& model_dir) {
  Checkpoint ckpt(model_dir);
  ShardReader reader{
      llama_view(config, [&](const std::string& name, const std::vector<int64_t>& shape,
                             int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                             float* out) { ckpt.read(name, shape, row0, rows, col0, cols, out); })};
  // A tied checkpoint may still carry lm_head.weight (a copy of the embedding): prefer it.
  return load_with(config, shard, reader,
                   ckpt.has(checkpoint_tensor_name(config, "lm_head.weight")));
}

ModelWeights dummy_weights(const ModelConfig& config, const TpShard& shard, uint64_t seed) {
  ShardReader reader{[&](const std::string& name, const std::vector<int64_t>& shape, int64_t row0,
                         int64_t rows, int64_t col0, int64_t cols, float* out) {
    const int64_t row_len = shape.back();
    if (ends_with(name, "norm.weight")) {
      for (int64_t i = 0; i < rows * cols; ++i) out[i] = 1.0f;
      return;
    }
    // Uniform on [-a, a] has std a / sqrt(3).
    const bool bias = ends_with(name, ".bias");
    const double stdev = bias ? 0.02 : 1.0 / std::sqrt(static_cast<double>(row_len));
    const double a = stdev * std::sqrt(3.0);
    const uint64_t key = splitmix64(seed ^ fnv1a(name));
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) {
        uint64_t index = static_cast<uint64_t>((row0 + r) * row_len + col0 + j);
        double u = static_cast<double>(splitmix64(key + index) >> 11) * 0x1.0p-53;  // [0, 1)
        out[r * cols + j] = static_cast<float>((2.0 * u - 1.0) * a);
      }
  }};
  return load_with(config, shard, reader, false);
}

}  // namespace tpbench
