#include "engine/model/model_config.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.hpp"
#include "engine/engine.hpp"

namespace tpbench {
namespace {

using nlohmann::json;

struct Reader {
  const json& j;
  const std::string& path;

  [[noreturn]] void fail(const std::string& field, const std::string& why) const {
    throw InputError(path + ": field '" + field + "' " + why);
  }
  bool has(const char* key) const { return j.contains(key) && !j.at(key).is_null(); }

  int64_t integer(const char* key) const {
    if (!has(key)) fail(key, "is missing");
    const json& v = j.at(key);
    if (!v.is_number_integer()) fail(key, "is not an integer");
    return v.get<int64_t>();
  }
  int64_t integer(const char* key, int64_t fallback) const {
    return has(key) ? integer(key) : fallback;
  }
  int32_t positive(const char* key) const {
    int64_t v = integer(key);
    if (v <= 0 || v > INT32_MAX) fail(key, "must be a positive 32-bit integer");
    return static_cast<int32_t>(v);
  }
  int32_t positive(const char* key, int32_t fallback) const {
    return has(key) ? positive(key) : fallback;
  }
  double number(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    if (!j.at(key).is_number()) fail(key, "is not a number");
    return j.at(key).get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j.at(key).is_boolean()) fail(key, "is not true/false");
    return j.at(key).get<bool>();
  }
  // bos/eos ids may be an int or a list of ints (Llama 3.1 lists several eos ids).
  int32_t token_id(const char* key) const {
    if (!has(key)) return -1;
    const json& v = j.at(key);
    if (v.is_number_integer()) return v.get<int32_t>();
    if (v.is_array() && !v.empty() && v.at(0).is_number_integer()) return v.at(0).get<int32_t>();
    fail(key, "is not a token id");
  }
};

// `j` is config.json's rope_scaling, or transformers v5's rope_parameters (the same keys plus
// rope_theta); `field` names it in errors.
RopeScaling parse_rope_scaling(const json& j, const std::string& field, const std::string& path) {
  RopeScaling s;
  if (j.is_null()) return s;
  if (!j.is_object()) throw InputError(path + ": field '" + field + "' is not an object");
  Reader r{j, path};
  std::string type;
  for (const char* key : {"rope_type", "type"}) {
    if (type.empty() && r.has(key)) {
      if (!j.at(key).is_string()) r.fail(field + "." + key, "is not a string");
      type = j.at(key).get<std::string>();
    }
  }
  if (type == "default" || type.empty()) return s;
  s.factor = r.number("factor", 1.0);
  if (s.factor <= 0) r.fail(field + ".factor", "must be positive");
  if (type == "linear") {
    s.type = "linear";
  } else if (type == "dynamic") {
    s.type = "dynamic";
  } else if (type == "llama3") {
    s.type = "llama3";
    s.low_freq_factor = r.number("low_freq_factor", 1.0);
    s.high_freq_factor = r.number("high_freq_factor", 4.0);
    s.original_max_position_embeddings = r.integer("original_max_position_embeddings", 8192);
    if (s.high_freq_factor <= s.low_freq_factor)
      r.fail(field + ".high_freq_factor", "must exceed low_freq_factor");
  } else {
    throw InputError(path + ": " + field + " type '" + type +
                     "' is not supported (supported: default, linear, llama3, dynamic)");
  }
  return s;
}

// InternLM v1 remote code reads RoPE from "rotary": {"base": B, "type": "origin"|"dynamic"}
// (configs without rope_theta); 10000 otherwise.
double internlm_rotary_base(const json& j, const std::string& path) {
  if (!j.contains("rotary") || !j.at("rotary").is_object()) return 10000.0;
  const double base = Reader{j.at("rotary"), path}.number("base", 10000.0);
  if (base <= 0) throw InputError(path + ": field 'rotary.base' must be positive");
  return base;
}

// rope_theta and the scaling, from transformers v5's rope_parameters when present (as LMDeploy's
// parse_rope_param reads it; its rope_theta, else the top-level one), else from the top-level
// rope_theta and rope_scaling.
void parse_rope(const json& j, const Reader& r, ModelConfig& c) {
  c.rope_theta = r.number("rope_theta", internlm_rotary_base(j, r.path));
  if (r.has("rope_parameters")) {
    const json& p = j.at("rope_parameters");
    if (!p.is_object()) r.fail("rope_parameters", "is not an object");
    c.rope_theta = Reader{p, r.path}.number("rope_theta", c.rope_theta);
    c.rope_scaling = parse_rope_scaling(p, "rope_parameters", r.path);
  } else if (j.contains("rope_scaling")) {
    c.rope_scaling = parse_rope_scaling(j.at("rope_scaling"), "rope_scaling", r.path);
  } else if (j.contains("rotary") && j.at("rotary").is_object() &&
             j.at("rotary").value("type", "") == "dynamic") {
    // InternLM v1's dynamic NTK: its scaling_factor (1 = none) against max_position_embeddings.
    c.rope_scaling.type = "dynamic";
    c.rope_scaling.factor = Reader{j.at("rotary"), r.path}.number("scaling_factor", 1.0);
  }
  if (c.rope_theta <= 0) r.fail("rope_theta", "must be positive");
  if (c.rope_scaling.type == "dynamic" && c.head_dim <= 2)
    r.fail("head_dim", "must exceed 2 for dynamic rope scaling");
}

// Which layers slide, as transformers' configs decide it. mistral: every layer when
// sliding_window is set (MistralConfig's default is 4096 when the key is absent). qwen2:
// sliding_window counts only when use_sliding_window is true, and then for the layers
// l >= max_window_layers (default 28), unless layer_types lists each layer's kind.
// llama has no sliding window.
void parse_sliding_window(const json& j, const Reader& r, ModelConfig& c) {
  if (c.model_type != "mistral" && c.model_type != "qwen2") return;
  int64_t window = 0;
  if (c.model_type == "mistral") {
    window = j.contains("sliding_window") ? r.integer("sliding_window", 0) : 4096;
  } else if (r.boolean("use_sliding_window", false)) {
    window = j.contains("sliding_window") ? r.integer("sliding_window", 0) : 4096;
  }
  if (window < 0 || window > INT32_MAX) r.fail("sliding_window", "must be a positive integer");
  if (window == 0) return;
  c.sliding_window = static_cast<int32_t>(window);
  c.sliding_layers.assign(c.num_layers, c.model_type == "mistral");
  if (c.model_type == "qwen2") {
    const int64_t first = r.integer("max_window_layers", 28);
    for (int l = 0; l < c.num_layers; ++l) c.sliding_layers[l] = l >= first;
  }
  if (r.has("layer_types")) {
    const json& types = j.at("layer_types");
    if (!types.is_array() || types.size() != static_cast<size_t>(c.num_layers))
      r.fail("layer_types", "must list num_hidden_layers entries");
    for (int l = 0; l < c.num_layers; ++l) {
      const json& t = types.at(l);
      if (t == "sliding_attention") {
        c.sliding_layers[l] = true;
      } else if (t == "full_attention") {
        c.sliding_layers[l] = false;
      } else {
        r.fail("layer_types", "entry " + std::to_string(l) +
                                  " is not \"full_attention\" or \"sliding_attention\"");
      }
    }
  }
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& path) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw InputError(path + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(path + ": not a JSON object");
  Reader r{j, path};
  try {
    ModelConfig c;
    if (!r.has("model_type") || !j.at("model_type").is_string()) r.fail("model_type", "is missing");
    c.model_type = j.at("model_type").get<std::string>();
    static const char* const kSupported[] = {"llama",    "mistral",   "qwen2",
                                             "internlm", "internlm2", "internlm3"};
    if (std::find(std::begin(kSupported), std::end(kSupported), c.model_type) ==
        std::end(kSupported))
      throw InputError(path + ": model_type '" + c.model_type +
                       "' is not supported (supported: llama, mistral, qwen2, internlm, "
                       "internlm2, internlm3)");
    if (r.has("hidden_act") && j.at("hidden_act") != "silu")
      r.fail("hidden_act", "must be \"silu\" (SwiGLU)");

    c.hidden_size = r.positive("hidden_size");
    c.intermediate_size = r.positive("intermediate_size");
    c.num_layers = r.positive("num_hidden_layers");
    c.num_heads = r.positive("num_attention_heads");
    c.num_kv_heads = r.positive("num_key_value_heads", c.num_heads);
    if (!r.has("head_dim") && c.hidden_size % c.num_heads != 0)
      r.fail("hidden_size", "is not divisible by num_attention_heads");
    c.head_dim = r.positive("head_dim", c.hidden_size / c.num_heads);
    if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even (rotary embedding)");
    if (c.num_heads % c.num_kv_heads != 0)
      r.fail("num_key_value_heads", "does not divide num_attention_heads");
    c.vocab_size = r.positive("vocab_size");
    c.max_position_embeddings = r.positive("max_position_embeddings", 2048);
    c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
    parse_rope(j, r, c);
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
    if (c.model_type == "qwen2") {
      c.qkv_bias = true;
    } else if (c.model_type == "internlm" || c.model_type == "internlm2") {
      // Their config classes default `bias` to true (internlm-7b); shipped internlm-20b and
      // internlm2 configs say false.
      c.qkv_bias = c.o_bias = r.boolean("bias", true);
    } else if (c.model_type == "internlm3") {
      c.qkv_bias = r.boolean("qkv_bias", false);
      c.o_bias = c.mlp_bias = r.boolean("bias", false);
    } else {
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.mlp_bias = r.boolean("mlp_bias", false);
    }
    c.bos_token_id = r.token_id("bos_token_id");
    c.eos_token_id = r.token_id("eos_token_id");
    parse_sliding_window(j, r, c);
    return c;
  } catch (const json::exception& e) {
    throw InputError(path + ": " + e.what());
  }
}

std::optional<int32_t> read_vocab_size(const std::string& model_dir) {
  const std::string path = model_dir + "/config.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(path + ": not a JSON object");
  Reader r{j, path};
  if (!r.has("vocab_size")) return std::nullopt;
  return r.positive("vocab_size");
}

ModelConfig load_model_config(const std::string& model_dir) {
  std::string path = model_dir + "/config.json";
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open (is MODEL a Hugging Face model directory?)");
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path);
}

}  // namespace tpbench
