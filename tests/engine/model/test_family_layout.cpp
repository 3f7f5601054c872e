// The InternLM families' config.json flags and tensor layout: bias flags, the old "rotary" RoPE
// base, internlm2's tensor names and its fused per-KV-group wqkv, and the shipped 7B configs.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "engine/model/family_layout.hpp"
#include "engine/model/model_config.hpp"

namespace tpbench {
namespace {

std::string config_json(const std::string& model_type, const std::string& extra) {
  return R"({"model_type": ")" + model_type + R"(", "hidden_size": 64, "intermediate_size": 96,
    "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 128)" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

TEST(FamilyConfig, InternlmBiasDefaultsToTrueAndRotaryBaseIsTheRopeTheta) {
  // internlm-7b: no bias key in the config class defaults means true; the base in "rotary".
  ModelConfig c = parse_model_config(
      config_json("internlm", R"("rotary": {"base": 50000, "type": "dynamic"})"), "c.json");
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_TRUE(c.o_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_EQ(c.rope_theta, 50000.0);
  EXPECT_EQ(c.num_kv_heads, 4);
  // internlm-20b: bias false, rope_theta.
  c = parse_model_config(config_json("internlm", R"("bias": false, "rope_theta": 20000.0)"),
                         "c.json");
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias);
  EXPECT_EQ(c.rope_theta, 20000.0);
  EXPECT_EQ(parse_model_config(config_json("internlm", ""), "c.json").rope_theta, 10000.0);
}

TEST(FamilyConfig, Internlm2AndInternlm3Flags) {
  ModelConfig c = parse_model_config(config_json("internlm2", R"("bias": false)"), "c.json");
  EXPECT_FALSE(c.qkv_bias || c.o_bias || c.mlp_bias);
  c = parse_model_config(config_json("internlm3", R"("head_dim": 32, "qkv_bias": true)"), "c.json");
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias || c.mlp_bias);
  c = parse_model_config(config_json("internlm3", R"("bias": true)"), "c.json");
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_TRUE(c.o_bias && c.mlp_bias);
  EXPECT_TRUE(parse_model_config(config_json("llama", R"("mlp_bias": true)"), "c.json").mlp_bias);
}

TEST(FamilyLayout, Internlm2TensorNames) {
  ModelConfig c = parse_model_config(config_json("internlm2", R"("bias": false)"), "c.json");
  const std::pair<const char*, const char*> names[] = {
      {"model.embed_tokens.weight", "model.tok_embeddings.weight"},
      {"lm_head.weight", "output.weight"},
      {"model.norm.weight", "model.norm.weight"},
      {"model.layers.11.input_layernorm.weight", "model.layers.11.attention_norm.weight"},
      {"model.layers.3.post_attention_layernorm.weight", "model.layers.3.ffn_norm.weight"},
      {"model.layers.0.self_attn.k_proj.weight", "model.layers.0.attention.wqkv.weight"},
      {"model.layers.0.self_attn.v_proj.bias", "model.layers.0.attention.wqkv.bias"},
      {"model.layers.0.self_attn.o_proj.weight", "model.layers.0.attention.wo.weight"},
      {"model.layers.0.mlp.gate_proj.weight", "model.layers.0.feed_forward.w1.weight"},
      {"model.layers.0.mlp.up_proj.weight", "model.layers.0.feed_forward.w3.weight"},
      {"model.layers.0.mlp.down_proj.weight", "model.layers.0.feed_forward.w2.weight"},
  };
  for (const auto& [llama, internlm2] : names)
    EXPECT_EQ(checkpoint_tensor_name(c, llama), internlm2);
  c.model_type = "internlm";
  EXPECT_EQ(checkpoint_tensor_name(c, "lm_head.weight"), "lm_head.weight");
}

// 4 query heads, 2 KV heads, head_dim 2: wqkv's 2-row blocks are q0 q1 k0 v0 | q2 q3 k1 v1.
// Each fake checkpoint element is 100 * (fused row) + column.
TEST(FamilyLayout, Internlm2WqkvRowsAndBiasesSplitPerKvGroup) {
  ModelConfig c = parse_model_config(
      config_json("internlm2", R"("num_key_value_heads": 2, "hidden_size": 8)"), "c.json");
  c.head_dim = 2;
  const int64_t fused = (4 + 2 * 2) * 2, D = 3;
  TensorReadFn checkpoint = [&](const std::string& name, const std::vector<int64_t>& shape,
                                int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                                float* out) {
    ASSERT_EQ(name.substr(name.find("attention.wqkv")).substr(0, 14), "attention.wqkv");
    ASSERT_EQ(shape[0], fused);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) out[r * cols + j] = 100.0f * (row0 + r) + col0 + j;
  };
  TensorReadFn view = llama_view(c, checkpoint);
  auto first_column = [&](const std::string& proj, int64_t rows_total, int64_t row0, int64_t rows) {
    std::vector<float> w(rows * D);
    view("model.layers.0.self_attn." + proj + ".weight", {rows_total, D}, row0, rows, 0, D,
         w.data());
    std::vector<int> fused_rows;
    for (int64_t r = 0; r < rows; ++r) fused_rows.push_back(static_cast<int>(w[r * D] / 100));
    return fused_rows;
  };
  // Query heads 1..2 (TP 2 of 4 heads would be 0..1 and 2..3; this crosses the group boundary).
  EXPECT_EQ(first_column("q_proj", 8, 2, 4), (std::vector<int>{2, 3, 8, 9}));
  EXPECT_EQ(first_column("q_proj", 8, 0, 8), (std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(first_column("k_proj", 4, 0, 4), (std::vector<int>{4, 5, 12, 13}));
  EXPECT_EQ(first_column("v_proj", 4, 2, 2), (std::vector<int>{14, 15}));  // KV head 1 alone
  // Biases: the same rows, as columns of the 1-D wqkv.bias.
  std::vector<float> bias(2);
  view("model.layers.0.self_attn.v_proj.bias", {4}, 0, 1, 0, 2, bias.data());
  EXPECT_EQ(bias, (std::vector<float>{6, 7}));
  view("model.layers.0.self_attn.q_proj.bias", {8}, 0, 1, 4, 2, bias.data());
  EXPECT_EQ(bias, (std::vector<float>{8, 9}));
}

TEST(FamilyConfig, ShippedInternlm7bConfig) {
  ModelConfig c = load_model_config(std::string(TPBENCH_SOURCE_DIR) + "/configs/internlm-7b");
  EXPECT_EQ(c.model_type, "internlm");
  EXPECT_EQ(c.hidden_size, 4096);
  EXPECT_EQ(c.num_kv_heads, 32);
  EXPECT_EQ(c.vocab_size, 103168);
  EXPECT_TRUE(c.qkv_bias && c.o_bias);
  EXPECT_EQ(c.rope_theta, 10000.0);
}

TEST(FamilyConfig, ShippedInternlm25Config) {
  ModelConfig c;
  try {
    c = load_model_config(std::string(TPBENCH_SOURCE_DIR) + "/configs/internlm2_5-7b-chat");
  } catch (const InputError& e) {
    if (std::string(e.what()).find("'dynamic'") != std::string::npos)
      GTEST_SKIP() << "dynamic rope_scaling is not parsed yet: " << e.what();
    throw;
  }
  EXPECT_EQ(c.model_type, "internlm2");
  EXPECT_EQ(c.num_kv_heads, 8);
  EXPECT_EQ(c.intermediate_size, 14336);
  EXPECT_EQ(c.rope_theta, 1000000.0);
  EXPECT_FALSE(c.qkv_bias || c.o_bias);
}

}  // namespace
}  // namespace tpbench
