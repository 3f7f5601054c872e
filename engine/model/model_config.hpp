#pragma once
// The model description read from a Hugging Face config.json: the Llama family (llama, mistral,
// qwen2, internlm, internlm2, internlm3) that the CPU and CUDA backends implement. The InternLM
// families differ from Llama in flags and tensor names only (engine/model/family_layout.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tpbench {

struct RopeScaling {
  std::string type = "none";  // "none" | "linear" | "llama3" | "dynamic"
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3
  double high_freq_factor = 4.0;                    // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct ModelConfig {
  std::string model_type;  // "llama" | "mistral" | "qwen2" | "internlm" | "internlm2" | "internlm3"
  int32_t hidden_size = 0;
  int32_t intermediate_size = 0;
  int32_t num_layers = 0;
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t vocab_size = 0;
  int32_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  // Sliding-window attention: a layer with sliding_layers[l] attends to the last sliding_window
  // positions only (keys p with p > q - sliding_window). 0 and an empty list: full attention.
  int32_t sliding_window = 0;
  std::vector<bool> sliding_layers;  // num_layers entries when sliding_window > 0
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // qwen2, llama attention_bias, internlm(2) bias, internlm3 qkv_bias
  bool o_bias = false;    // llama attention_bias, internlm(2) bias, internlm3 bias
  bool mlp_bias = false;  // gate/up/down biases: llama mlp_bias, internlm3 bias
  int32_t bos_token_id = -1;
  int32_t eos_token_id = -1;

  // The window of layer l: sliding_window when that layer slides, else 0 (full attention).
  int32_t attention_window(int layer) const {
    return sliding_window > 0 && sliding_layers.at(layer) ? sliding_window : 0;
  }
  // True when some layer slides.
  bool has_sliding_window() const {
    for (bool s : sliding_layers)
      if (s) return true;
    return false;
  }
};

// Reads MODEL_DIR/config.json. Throws InputError naming the file and field on anything missing,
// malformed or unsupported.
ModelConfig load_model_config(const std::string& model_dir);

// Parses config.json text; `path` only names the file in error messages.
ModelConfig parse_model_config(const std::string& json_text, const std::string& path);

}  // namespace tpbench
