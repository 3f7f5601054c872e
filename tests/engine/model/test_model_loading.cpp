// config.json parsing, the safetensors loader and TP sharding, good and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/error.hpp"
#include "engine/model/checkpoint.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/rope_frequencies.hpp"
#include "engine/model/safetensors.hpp"
#include "engine/model/tp_shard.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(TPBENCH_BINARY_DIR) + "/test-loading/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A safetensors file from a header JSON and a data section.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  uint64_t n = header.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + header + data;
}

// Runs fn, expects an InputError whose one-line message contains every needle.
void expect_input_error(const std::function<void()>& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const std::string& needle : needles)
      EXPECT_NE(msg.find(needle), std::string::npos) << "'" << needle << "' not in: " << msg;
  }
}

const char* kConfig = R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 96,
  "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 128,
  "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
  "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
  "tie_word_embeddings": false, "eos_token_id": [128001, 128009]})";

TEST(ModelConfig, ParsesLlamaFields) {
  ModelConfig c = parse_model_config(kConfig, "config.json");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_EQ(c.eos_token_id, 128001);
  EXPECT_FALSE(c.qkv_bias);
  std::string qwen = kConfig;
  qwen.replace(qwen.find("llama"), 5, "qwen2");
  EXPECT_TRUE(parse_model_config(qwen, "config.json").qkv_bias);
}

TEST(ModelConfig, RejectsUnsupportedModelTypeNamingItAndTheFile) {
  std::string text = kConfig;
  text.replace(text.find("llama"), 5, "gpt_neox");
  expect_input_error([&] { parse_model_config(text, "/m/config.json"); },
                     {"/m/config.json", "gpt_neox"});
}

TEST(ModelConfig, RejectsMissingFieldAndMalformedJson) {
  std::string text = kConfig;
  text.replace(text.find("\"vocab_size\""), 12, "\"vocab_sizes\"");
  expect_input_error([&] { parse_model_config(text, "c.json"); }, {"c.json", "vocab_size"});
  expect_input_error([&] { parse_model_config("{\"model_type\": ", "c.json"); },
                     {"c.json", "malformed"});
  expect_input_error([&] { load_model_config("/nonexistent-dir"); },
                     {"/nonexistent-dir/config.json"});
}

// Llama 3 rope scaling against Hugging Face's _compute_llama3_parameters, written out for
// head_dim 8, theta 500000, factor 8, low 1, high 4, original context 8192.
TEST(ModelConfig, Llama3RopeFrequencies) {
  ModelConfig c = parse_model_config(kConfig, "config.json");
  std::vector<float> f = rope_inv_freq(c);
  ASSERT_EQ(f.size(), 4u);
  const double pi = 3.14159265358979323846;
  for (int i = 0; i < 4; ++i) {
    const double base = 1.0 / std::pow(500000.0, 2.0 * i / 8);
    const double wavelen = 2 * pi / base;
    double want = base;
    if (wavelen > 8192.0) {
      want = base / 8;
    } else if (wavelen >= 2048.0) {
      const double smooth = (8192.0 / wavelen - 1.0) / 3.0;
      want = (1 - smooth) * base / 8 + smooth * base;
    }
    EXPECT_NEAR(f[i], want, 1e-6 * want) << i;
  }
  // Exercises all three branches: i = 0 keeps, i = 3 divides, i = 2 blends.
  EXPECT_FLOAT_EQ(f[0], 1.0f);
  EXPECT_NEAR(f[3], 1.0 / std::pow(500000.0, 0.75) / 8, 1e-12);
}

TEST(TpShard, RejectsSplitsThatDoNotDivide) {
  ModelConfig c = parse_model_config(kConfig, "config.json");
  expect_input_error([&] { make_tp_shard(c, 0, 3, "m/config.json"); },
                     {"m/config.json", "num_attention_heads", "--tp 3"});
  c.num_heads = 12;
  c.intermediate_size = 90;
  expect_input_error([&] { make_tp_shard(c, 0, 4, "m/config.json"); }, {"intermediate_size"});
  c.intermediate_size = 96;
  c.vocab_size = 130;
  expect_input_error([&] { make_tp_shard(c, 0, 4, "m/config.json"); }, {"vocab_size"});
  c.vocab_size = 128;
  c.num_kv_heads = 3;
  expect_input_error([&] { make_tp_shard(c, 0, 4, "m/config.json"); }, {"num_key_value_heads"});
}

TEST(TpShard, ReplicatesKvHeadsWhenTpExceedsThem) {
  ModelConfig c = parse_model_config(kConfig, "config.json");
  c.num_kv_heads = 2;
  TpShard s = make_tp_shard(c, 3, 4, "config.json");
  EXPECT_EQ(s.heads, 2);
  EXPECT_EQ(s.head_begin, 6);
  EXPECT_EQ(s.kv_heads, 1);
  EXPECT_EQ(s.kv_head_begin, 1);  // query heads 6, 7 belong to KV head 1 (groups of 4)
}

TEST(Safetensors, ConvertsF16AndBf16) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  EXPECT_EQ(bfloat16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xc0a0), -5.0f);

  const std::string dir = fresh_dir("dtypes");
  const uint16_t f16[] = {0x3c00, 0x3800, 0xbc00}, bf16[] = {0x4040, 0x3f00, 0x0000};
  std::string data(reinterpret_cast<const char*>(f16), 6);
  data += std::string(reinterpret_cast<const char*>(bf16), 6);
  write_file(dir + "/model.safetensors",
             safetensors_bytes(R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},)"
                               R"("b":{"dtype":"BF16","shape":[1,3],"data_offsets":[6,12]}})",
                               data));
  Checkpoint ckpt(dir);
  float out[3];
  ckpt.read("a", {3}, 0, 1, 0, 3, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 0.5f);
  EXPECT_EQ(out[2], -1.0f);
  ckpt.read("b", {1, 3}, 0, 1, 1, 2, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], 0.0f);
}

class BadCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = test::tiny_model_dir("tiny-llama-gqa", test::tiny_model_variants()[0].second);
    config_ = load_model_config(good_);
  }
  // A copy of the good model whose model.safetensors is replaced by `bytes`.
  std::string with_weights(const std::string& name, const std::string& bytes) {
    const std::string dir = fresh_dir(name);
    fs::copy_file(good_ + "/config.json", dir + "/config.json");
    write_file(dir + "/model.safetensors", bytes);
    return dir;
  }
  void expect_load_error(const std::string& dir, const std::vector<std::string>& needles) {
    expect_input_error([&] { load_weights(config_, make_tp_shard(config_, 0, 1, ""), dir); },
                       needles);
  }
  std::string good_;
  ModelConfig config_;
};

TEST_F(BadCheckpoint, Truncated) {
  std::string bytes = read_file(good_ + "/model.safetensors");
  std::string dir = with_weights("truncated", bytes.substr(0, bytes.size() - 100));
  expect_load_error(dir, {dir + "/model.safetensors", "truncated"});
  dir = with_weights("truncated-to-4-bytes", bytes.substr(0, 4));
  expect_load_error(dir, {dir + "/model.safetensors", "truncated"});
}

TEST_F(BadCheckpoint, HeaderLengthPastEndOfFile) {
  const std::string dir =
      with_weights("header-past-end", safetensors_bytes("{}", "").substr(0, 8) + "{}");
  std::string bytes = read_file(dir + "/model.safetensors");
  const uint64_t huge = 1 << 20;
  std::memcpy(bytes.data(), &huge, 8);
  write_file(dir + "/model.safetensors", bytes);
  expect_load_error(dir, {dir + "/model.safetensors", "header length 1048576"});
}

TEST_F(BadCheckpoint, MalformedHeaderJson) {
  const std::string dir =
      with_weights("malformed-header", safetensors_bytes(R"({"a": {"dtype": "F32", )", "xxxx"));
  expect_load_error(dir, {dir + "/model.safetensors", "malformed"});
}

TEST_F(BadCheckpoint, TensorMissing) {
  const std::string dir =
      with_weights("missing-tensor",
                   safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                     std::string(4, '\0')));
  expect_load_error(dir, {dir, "model.embed_tokens.weight", "missing"});
}

TEST_F(BadCheckpoint, TensorOfWrongShape) {
  const std::string dir = with_weights(
      "wrong-shape",
      safetensors_bytes(R"({"model.embed_tokens.weight":{"dtype":"F32","shape":[128,63],)"
                        R"("data_offsets":[0,32256]}})",
                        std::string(32256, '\0')));
  expect_load_error(dir, {"model.embed_tokens.weight", "[128, 63]", "[128, 64]"});
}

TEST_F(BadCheckpoint, UnsupportedDtype) {
  const std::string dir = with_weights(
      "bad-dtype",
      safetensors_bytes(R"({"model.embed_tokens.weight":{"dtype":"I32","shape":[128,64],)"
                        R"("data_offsets":[0,32768]}})",
                        std::string(32768, '\0')));
  expect_load_error(dir, {"model.embed_tokens.weight", "I32"});
}

// A checkpoint split over two files with an index loads the same weights as the single file.
TEST(Checkpoint, ShardedIndexLoadsTheSameWeights) {
  const std::string good =
      test::tiny_model_dir("tiny-llama-gqa", test::tiny_model_variants()[0].second);
  const ModelConfig c = load_model_config(good);
  const std::string bytes = read_file(good + "/model.safetensors");
  uint64_t header_len;
  std::memcpy(&header_len, bytes.data(), 8);
  const std::string data = bytes.substr(8 + header_len);
  // File 1: the embedding alone; file 2: everything (the index points each tensor at one).
  const std::string dir = fresh_dir("sharded");
  fs::copy_file(good + "/config.json", dir + "/config.json");
  const size_t emb_bytes = 128 * 64 * 4;
  write_file(
      dir + "/part-1.safetensors",
      safetensors_bytes(
          R"({"model.embed_tokens.weight":{"dtype":"F32","shape":[128,64],"data_offsets":[0,32768]}})",
          data.substr(0, emb_bytes)));
  fs::copy_file(good + "/model.safetensors", dir + "/part-2.safetensors");
  std::string index =
      R"({"metadata": {}, "weight_map": {"model.embed_tokens.weight": "part-1.safetensors")";
  SafetensorsFile whole(good + "/model.safetensors");
  for (const auto& [name, info] : whole.tensors())
    if (name != "model.embed_tokens.weight") index += ", \"" + name + "\": \"part-2.safetensors\"";
  write_file(dir + "/model.safetensors.index.json", index + "}}");

  const TpShard shard = make_tp_shard(c, 0, 1, "");
  const ModelWeights a = load_weights(c, shard, good), b = load_weights(c, shard, dir);
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_EQ(a.layers[1].w_down, b.layers[1].w_down);
  EXPECT_EQ(a.lm_head, b.lm_head);
}

// Rank r's shard is exactly the right rows / columns of the full weights.
TEST(Checkpoint, TpShardsAreSlicesOfTheFullWeights) {
  const auto variant = test::tiny_model_variants()[2];  // qwen2: biases, 2 KV heads
  const std::string dir = test::tiny_model_dir(variant.first, variant.second);
  const ModelConfig c = load_model_config(dir);
  const ModelWeights full = load_weights(c, make_tp_shard(c, 0, 1, ""), dir);
  const int64_t D = c.hidden_size, hd = c.head_dim, I = c.intermediate_size;
  for (int rank = 0; rank < 4; ++rank) {
    const TpShard s = make_tp_shard(c, rank, 4, "");
    const ModelWeights w = load_weights(c, s, dir);
    const LayerWeights &L = w.layers[1], &F = full.layers[1];
    for (int64_t r = 0; r < s.heads * hd; ++r)
      for (int64_t j = 0; j < D; ++j) {
        ASSERT_EQ(L.wq[r * D + j], F.wq[(s.head_begin * hd + r) * D + j]);
        ASSERT_EQ(L.wo[j * s.heads * hd + r], F.wo[j * c.num_heads * hd + s.head_begin * hd + r]);
      }
    for (int64_t r = 0; r < s.kv_heads * hd; ++r) {
      ASSERT_EQ(L.bk[r], F.bk[s.kv_head_begin * hd + r]);
      for (int64_t j = 0; j < D; ++j)
        ASSERT_EQ(L.wv[r * D + j], F.wv[(s.kv_head_begin * hd + r) * D + j]);
    }
    for (int64_t r = 0; r < s.intermediate; ++r)
      for (int64_t j = 0; j < D; ++j) {
        ASSERT_EQ(L.w_up[r * D + j], F.w_up[(s.intermediate_begin + r) * D + j]);
        ASSERT_EQ(L.w_down[j * s.intermediate + r], F.w_down[j * I + s.intermediate_begin + r]);
      }
    for (int64_t r = 0; r < s.vocab * D; ++r)
      ASSERT_EQ(w.lm_head[r], full.lm_head[s.vocab_begin * D + r]);
    EXPECT_EQ(w.embedding, full.embedding);
  }
}

TEST(DummyWeights, SeededShardsAgreeWithTheFullModelAndStayBounded) {
  const auto variant = test::tiny_model_variants()[0];
  const ModelConfig c = load_model_config(test::tiny_model_dir(variant.first, variant.second));
  const ModelWeights full = dummy_weights(c, make_tp_shard(c, 0, 1, ""), 7);
  const ModelWeights half = dummy_weights(c, make_tp_shard(c, 1, 2, ""), 7);
  const ModelWeights other_seed = dummy_weights(c, make_tp_shard(c, 0, 1, ""), 8);
  const int64_t D = c.hidden_size;
  for (size_t i = 0; i < half.layers[0].w_gate.size(); ++i)
    ASSERT_EQ(half.layers[0].w_gate[i], full.layers[0].w_gate[48 * D + i]);
  EXPECT_NE(full.layers[0].wq, other_seed.layers[0].wq);
  EXPECT_EQ(full.final_norm, std::vector<float>(D, 1.0f));
  for (float x : full.layers[0].wq) ASSERT_LE(std::fabs(x), std::sqrt(3.0f / D) + 1e-6f);
}

}  // namespace
}  // namespace tpbench
