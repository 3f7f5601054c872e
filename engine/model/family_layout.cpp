#include "engine/model/family_layout.hpp"

#include <utility>

#include "common/error.hpp"

namespace tpbench {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Splits "model.layers.N.rest" into ("model.layers.N.", "rest"); false for other names.
bool split_layer_name(const std::string& name, std::string& prefix, std::string& rest) {
  const std::string layers = "model.layers.";
  if (!starts_with(name, layers)) return false;
  const size_t dot = name.find('.', layers.size());
  if (dot == std::string::npos) return false;
  prefix = name.substr(0, dot + 1);
  rest = name.substr(dot + 1);
  return true;
}

std::string internlm2_name(const std::string& llama_name) {
  if (llama_name == "model.embed_tokens.weight") return "model.tok_embeddings.weight";
  if (llama_name == "lm_head.weight") return "output.weight";
  std::string prefix, rest;
  if (!split_layer_name(llama_name, prefix, rest)) return llama_name;
  static const std::pair<const char*, const char*> kRenames[] = {
      {"input_layernorm.", "attention_norm."},  {"post_attention_layernorm.", "ffn_norm."},
      {"self_attn.q_proj.", "attention.wqkv."}, {"self_attn.k_proj.", "attention.wqkv."},
      {"self_attn.v_proj.", "attention.wqkv."}, {"self_attn.o_proj.", "attention.wo."},
      {"mlp.gate_proj.", "feed_forward.w1."},   {"mlp.up_proj.", "feed_forward.w3."},
      {"mlp.down_proj.", "feed_forward.w2."},
  };
  for (const auto& [from, to] : kRenames)
    if (starts_with(rest, from)) return prefix + to + rest.substr(std::string(from).size());
  return llama_name;
}

// 'q', 'k' or 'v' when `llama_name` is a layer's q/k/v projection weight or bias, else 0.
char qkv_kind(const std::string& llama_name) {
  std::string prefix, rest;
  if (!split_layer_name(llama_name, prefix, rest)) return 0;
  for (char kind : {'q', 'k', 'v'})
    if (starts_with(rest, std::string("self_attn.") + kind + "_proj.")) return kind;
  return 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string checkpoint_tensor_name(const ModelConfig& config, const std::string& llama_name) {
  return config.model_type == "internlm2" ? internlm2_name(llama_name) : llama_name;
}

int64_t internlm2_wqkv_row(const ModelConfig& c, char kind, int64_t head) {
  const int64_t g = c.num_heads / c.num_kv_heads, hd = c.head_dim;
  switch (kind) {
    case 'q':
      return ((head / g) * (g + 2) + head % g) * hd;
    case 'k':
      return (head * (g + 2) + g) * hd;
    default:
      return (head * (g + 2) + g + 1) * hd;
  }
}

TensorReadFn llama_view(const ModelConfig& config, TensorReadFn checkpoint_read) {
  if (config.model_type != "internlm2") return checkpoint_read;
  return [config, read = std::move(checkpoint_read)](
             const std::string& name, const std::vector<int64_t>& shape, int64_t row0, int64_t rows,
             int64_t col0, int64_t cols, float* out) {
    const std::string source = internlm2_name(name);
    const char kind = qkv_kind(name);
    if (kind == 0) return read(source, shape, row0, rows, col0, cols, out);
    // q/k/v: whole heads out of the fused wqkv. A weight's heads are row ranges, a bias's are
    // column ranges of its single row.
    const int64_t hd = config.head_dim;
    const int64_t fused = int64_t{config.num_heads + 2 * config.num_kv_heads} * hd;
    const bool bias = ends_with(name, ".bias");
    const int64_t first = bias ? col0 : row0, count = bias ? cols : rows;
    TPBENCH_CHECK(first % hd == 0 && count % hd == 0,
                  name + ": internlm2 q/k/v slices must be whole heads");
    for (int64_t h = 0; h < count / hd; ++h) {
      const int64_t row = internlm2_wqkv_row(config, kind, first / hd + h);
      if (bias) {
        read(source, {fused}, 0, 1, row, hd, out + h * hd);
      } else {
        read(source, {fused, shape.back()}, row, hd, col0, cols, out + h * hd * cols);
      }
    }
  };
}

}  // namespace tpbench
