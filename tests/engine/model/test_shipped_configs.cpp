// Every config.json shipped in configs/ parses and has the published model's size: its
// parameter count, from the shapes alone, is within 1% of the count the model's publisher (or
// the Hub's safetensors metadata) gives. Sources: configs/README.md.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "engine/model/model_config.hpp"

namespace tpbench {
namespace {

// Parameters of a Llama-family decoder: embeddings, per-layer attention (with its biases), MLP
// and norms, the final norm and the LM head unless tied.
int64_t parameter_count(const ModelConfig& c) {
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, ff = c.intermediate_size;
  int64_t layer = h * q + 2 * h * kv + q * h + 3 * h * ff + 2 * h;
  if (c.qkv_bias) layer += q + 2 * kv;
  if (c.o_bias) layer += h;
  if (c.mlp_bias) layer += 2 * ff + h;
  const int64_t embedding = int64_t{c.vocab_size} * h;
  return embedding * (c.tie_word_embeddings ? 1 : 2) + c.num_layers * layer + h;
}

struct Published {
  double parameters;
  std::string model_type;
};

// configs/<name> -> the published size (configs/README.md cites each).
const std::map<std::string, Published> kPublished{
    {"llama-2-7b", {6'738'415'616.0, "llama"}},     {"Llama-3.1-8B", {8'030'261'248.0, "llama"}},
    {"Qwen2.5-7B", {7'615'616'512.0, "qwen2"}},     {"internlm-7b", {7.32e9, "internlm"}},
    {"internlm2_5-7b-chat", {7.74e9, "internlm2"}},
};

TEST(ShippedConfigs, EveryOneParsesAndHasThePublishedSize) {
  int seen = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(TPBENCH_SOURCE_DIR) + "/configs")) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    ++seen;
    const auto published = kPublished.find(name);
    ASSERT_NE(published, kPublished.end()) << "configs/" << name << " has no published size here";
    const ModelConfig c = load_model_config(entry.path().string());
    EXPECT_EQ(c.model_type, published->second.model_type) << name;
    const double count = static_cast<double>(parameter_count(c));
    EXPECT_NEAR(count / published->second.parameters, 1.0, 0.01)
        << name << ": " << count << " parameters";
  }
  EXPECT_EQ(seen, static_cast<int>(kPublished.size()));
}

TEST(ShippedConfigs, FamilyFlagsAsPublished) {
  const std::string dir = std::string(TPBENCH_SOURCE_DIR) + "/configs/";
  const ModelConfig llama31 = load_model_config(dir + "Llama-3.1-8B");
  EXPECT_EQ(llama31.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(llama31.rope_scaling.factor, 8.0);
  EXPECT_DOUBLE_EQ(llama31.rope_theta, 500000.0);
  EXPECT_EQ(llama31.num_kv_heads, 8);
  EXPECT_FALSE(llama31.qkv_bias);
  const ModelConfig qwen = load_model_config(dir + "Qwen2.5-7B");
  EXPECT_TRUE(qwen.qkv_bias);  // q/k/v biases, no o_proj bias
  EXPECT_FALSE(qwen.o_bias);
  EXPECT_EQ(qwen.head_dim, 128);
  EXPECT_FALSE(qwen.has_sliding_window());  // sliding_window 131072 with use_sliding_window false
  EXPECT_FALSE(qwen.tie_word_embeddings);
}

}  // namespace
}  // namespace tpbench
