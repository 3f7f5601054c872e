// PyTorch checkpoints (pytorch_model*.bin): the torch.save fixtures of tests/engine/model/fixtures/
// torch_bin load the same weights and give the same logits as their safetensors twins; crafted
// archives and pickles check the zip reader, the restricted unpickler and every refusal.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/error.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "engine/model/checkpoint.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/tp_shard.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(TPBENCH_BINARY_DIR) + "/test-torch-bin/" + name;
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

// The LM head is compared by its rows: a tied .bin may carry lm_head.weight sharing the
// embedding's storage where the safetensors twin has none.
void expect_same_weights(const ModelWeights& a, const ModelWeights& b, const ModelConfig& c,
                         const TpShard& s) {
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_EQ(a.final_norm, b.final_norm);
  const int64_t head = int64_t{s.vocab} * c.hidden_size;
  EXPECT_EQ(std::vector<float>(a.lm_head_rows(c, s), a.lm_head_rows(c, s) + head),
            std::vector<float>(b.lm_head_rows(c, s), b.lm_head_rows(c, s) + head));
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const LayerWeights &x = a.layers[l], &y = b.layers[l];
    for (auto m : {&LayerWeights::attn_norm, &LayerWeights::wq, &LayerWeights::wk,
                   &LayerWeights::wv, &LayerWeights::bq, &LayerWeights::bk, &LayerWeights::bv,
                   &LayerWeights::wo, &LayerWeights::bo, &LayerWeights::ffn_norm,
                   &LayerWeights::w_gate, &LayerWeights::w_up, &LayerWeights::w_down})
      EXPECT_EQ(x.*m, y.*m) << "layer " << l;
  }
}

class TorchFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchFixture, LoadsTheWeightsOfItsSafetensorsTwin) {
  const std::string bin = test::torch_bin_model_dir(GetParam());
  const std::string twin = test::torch_bin_twin_dir(GetParam());
  const ModelConfig c = load_model_config(twin);
  for (int tp : {1, 2})
    for (int rank = 0; rank < tp; ++rank) {
      SCOPED_TRACE("tp " + std::to_string(tp) + " rank " + std::to_string(rank));
      const TpShard shard = make_tp_shard(c, rank, tp, "");
      expect_same_weights(load_weights(c, shard, bin), load_weights(c, shard, twin), c, shard);
    }
}

TEST_P(TorchFixture, LogitsEqualTheSafetensorsTwinExactly) {
  SingleRankCommunicator comm;
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = test::torch_bin_model_dir(GetParam());
  CpuModelRunner bin(options, comm);
  options.model_dir = test::torch_bin_twin_dir(GetParam());
  CpuModelRunner twin(options, comm);
  const test::LogitsByPosition want = test::run_scenario(twin, true, 4);
  const test::LogitsByPosition got = test::run_scenario(bin, true, 4);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, logits] : want) EXPECT_EQ(got.at(key), logits);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchFixture, ::testing::ValuesIn(test::torch_bin_fixtures()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// The fixtures exercise what they claim: shared storages, offsets, strides, archive folders.
TEST(TorchFixtureLayout, TiedViewsAndStridesAreReal) {
  const Checkpoint tied(test::torch_bin_model_dir("qwen2-f16-tied-views"));
  EXPECT_EQ(tied.info("lm_head.weight").data, tied.info("model.embed_tokens.weight").data);
  const TensorInfo& q = tied.info("model.layers.1.self_attn.q_proj.weight");
  const TensorInfo& k = tied.info("model.layers.1.self_attn.k_proj.weight");
  const TensorInfo& v = tied.info("model.layers.1.self_attn.v_proj.weight");
  EXPECT_EQ(q.dtype, "F16");
  EXPECT_EQ(k.data, q.data + 32 * 32 * 2);  // k starts where q's 32 rows of 32 halves end
  EXPECT_EQ(v.data, k.data + 16 * 32 * 2);
  const Checkpoint transposed(test::torch_bin_model_dir("llama-f32-transposed"));
  const TensorInfo& gate = transposed.info("model.layers.0.mlp.gate_proj.weight");
  EXPECT_EQ(gate.shape, (std::vector<int64_t>{48, 32}));
  EXPECT_EQ(gate.strides, (std::vector<int64_t>{1, 48}));
  EXPECT_EQ(transposed.info("model.norm.weight").strides, std::vector<int64_t>{2});
  const Checkpoint sharded(test::torch_bin_model_dir("llama-bf16-sharded"));
  EXPECT_EQ(sharded.info("lm_head.weight").dtype, "BF16");
  EXPECT_NE(read_file(test::torch_bin_model_dir("llama-bf16-sharded") +
                      "/pytorch_model-00002-of-00002.bin")
                .find("archive/data.pkl"),
            std::string::npos);
}

TEST(TorchCheckpointChoice, SafetensorsWinWhenBothArePresent) {
  const std::string twin = test::torch_bin_twin_dir("llama-bf16");
  const std::string dir = fresh_dir("both");
  fs::copy_file(twin + "/config.json", dir + "/config.json");
  fs::copy_file(twin + "/model.safetensors", dir + "/model.safetensors");
  write_file(dir + "/pytorch_model.bin", "not a zip archive at all");
  const ModelConfig c = load_model_config(dir);
  const TpShard shard = make_tp_shard(c, 0, 1, "");
  expect_same_weights(load_weights(c, shard, dir), load_weights(c, shard, twin), c, shard);
  fs::remove(dir + "/model.safetensors");
  expect_input_error([&] { load_weights(c, shard, dir); },
                     {dir + "/pytorch_model.bin", "not a zip archive"});
  fs::remove(dir + "/pytorch_model.bin");
  write_file(dir + "/training_args.bin", "not weights");
  expect_input_error([&] { load_weights(c, shard, dir); },
                     {dir, "no *.safetensors or pytorch_model*.bin"});
}

// ---- crafted archives ----

void put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

struct ZipItem {
  std::string name, data;
  uint16_t method = 0;  // 0 stored, 8 deflated (the bytes are not really deflated)
};

// A ZIP of `items`. zip64: 0xffffffff in every central size and offset field, the values in
// Zip64 extra fields, and Zip64 end records, as a writer does for a shard over 4 GiB.
std::string zip_bytes(const std::vector<ZipItem>& items, bool zip64) {
  std::string out, central;
  for (const ZipItem& it : items) {
    const uint64_t local = out.size();
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, 0, 2);
    put(out, it.method, 2);
    put(out, 0, 4);  // time, date
    put(out, 0, 4);  // crc (not checked)
    put(out, it.data.size(), 4);
    put(out, it.data.size(), 4);
    put(out, it.name.size(), 2);
    put(out, 0, 2);
    out += it.name + it.data;
    std::string extra;
    if (zip64) {
      put(extra, 0x0001, 2);
      put(extra, 24, 2);
      put(extra, it.data.size(), 8);
      put(extra, it.data.size(), 8);
      put(extra, local, 8);
    }
    put(central, 0x02014b50, 4);
    put(central, 45, 2);
    put(central, 45, 2);
    put(central, 0, 2);
    put(central, it.method, 2);
    put(central, 0, 4);
    put(central, 0, 4);
    put(central, zip64 ? 0xffffffff : it.data.size(), 4);
    put(central, zip64 ? 0xffffffff : it.data.size(), 4);
    put(central, it.name.size(), 2);
    put(central, extra.size(), 2);
    put(central, 0, 2);
    put(central, 0, 2);
    put(central, 0, 2);
    put(central, 0, 4);
    put(central, zip64 ? 0xffffffff : local, 4);
    central += it.name + extra;
  }
  const uint64_t cd_offset = out.size();
  out += central;
  if (zip64) {
    const uint64_t record = out.size();
    put(out, 0x06064b50, 4);
    put(out, 44, 8);
    put(out, 45, 2);
    put(out, 45, 2);
    put(out, 0, 8);
    put(out, items.size(), 8);
    put(out, items.size(), 8);
    put(out, central.size(), 8);
    put(out, cd_offset, 8);
    put(out, 0x07064b50, 4);
    put(out, 0, 4);
    put(out, record, 8);
    put(out, 1, 4);
  }
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, zip64 ? 0xffff : items.size(), 2);
  put(out, zip64 ? 0xffff : items.size(), 2);
  put(out, zip64 ? 0xffffffff : central.size(), 4);
  put(out, zip64 ? 0xffffffff : cd_offset, 4);
  put(out, 0, 2);
  return out;
}

// Pickle pieces, protocol 2, as torch.save writes them.
std::string unicode(const std::string& s) {
  std::string out = "X";
  put(out, s.size(), 4);
  return out + s;
}
std::string binint(int32_t v) {
  std::string out = "J";
  put(out, static_cast<uint32_t>(v), 4);
  return out;
}
std::string int_tuple(const std::vector<int32_t>& v) {
  std::string out = "(";
  for (int32_t x : v) out += binint(x);
  return out + "t";
}

struct PickledTensor {
  std::string name = "model.norm.weight";
  std::string storage_global = "torch\nFloatStorage\n";
  std::string key = "0";
  int32_t numel = 4, offset = 0;
  std::vector<int32_t> size = {2, 2}, stride = {2, 1};
};

std::string state_dict_pickle(
    const std::vector<PickledTensor>& tensors,
    const std::string& tensor_global = "torch._utils\n_rebuild_tensor_v2\n") {
  std::string p =
      "\x80\x02"s
      "ccollections\nOrderedDict\nq\x00)R("s;
  for (const PickledTensor& t : tensors) {
    p += unicode(t.name) + "c" + tensor_global + "((" + unicode("storage") + "c" +
         t.storage_global + unicode(t.key) + unicode("cpu") + binint(t.numel) + "tQ" +
         binint(t.offset) + int_tuple(t.size) + int_tuple(t.stride) + "\x89h\x00)Rt"s + "R";
  }
  return p + "u.";
}

std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// A directory holding only a crafted pytorch_model.bin; its tensors are read through Checkpoint.
std::string crafted_dir(const std::string& name, const std::string& bin_bytes) {
  const std::string dir = fresh_dir(name);
  write_file(dir + "/pytorch_model.bin", bin_bytes);
  return dir;
}

std::string good_archive(bool zip64, const std::string& folder = "some folder/x") {
  return zip_bytes({{folder + "/version", "3\n"},
                    {folder + "/data.pkl", state_dict_pickle({PickledTensor{}})},
                    {folder + "/data/0", floats({1, 2, 3, 4})}},
                   zip64);
}

TEST(CraftedTorchBin, ReadsStoredAndZip64ArchivesWithAnyFolderName) {
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "zip64" : "plain");
    const Checkpoint ckpt(crafted_dir("good", good_archive(zip64)));
    float out[4];
    ckpt.read("model.norm.weight", {2, 2}, 0, 2, 0, 2, out);
    EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{1, 2, 3, 4}));
    ckpt.read("model.norm.weight", {2, 2}, 1, 1, 1, 1, out);
    EXPECT_EQ(out[0], 4.0f);
  }
}

TEST(CraftedTorchBin, HonoursOffsetsAndStrides) {
  PickledTensor t;  // [[x1, x3], [x2, x4]] of storage x0..x5: a transposed view at offset 1
  t.numel = 6;
  t.offset = 1;
  t.stride = {1, 2};
  const std::string bin = zip_bytes(
      {{"a/data.pkl", state_dict_pickle({t})}, {"a/data/0", floats({0, 1, 2, 3, 4, 5})}}, false);
  const Checkpoint ckpt(crafted_dir("strided", bin));
  float out[4];
  ckpt.read("model.norm.weight", {2, 2}, 0, 2, 0, 2, out);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{1, 3, 2, 4}));
  ckpt.read("model.norm.weight", {2, 2}, 1, 1, 0, 2, out);
  EXPECT_EQ(out[0], 2.0f);
  EXPECT_EQ(out[1], 4.0f);
}

class BadTorchBin : public ::testing::Test {
 protected:
  // Opening a directory whose pytorch_model.bin is `bytes` fails naming the file and `needles`.
  void expect_refused(const std::string& name, const std::string& bytes,
                      std::vector<std::string> needles) {
    const std::string dir = crafted_dir(name, bytes);
    needles.push_back(dir + "/pytorch_model.bin");
    expect_input_error([&] { Checkpoint ckpt(dir); }, needles);
  }
  std::string pickle_archive(const std::string& pickle,
                             const std::string& data = std::string(16, 'x')) {
    return zip_bytes({{"a/data.pkl", pickle}, {"a/data/0", data}}, false);
  }
};

TEST_F(BadTorchBin, TruncatedOrNotAZip) {
  const std::string good =
      read_file(test::torch_bin_model_dir("llama-bf16") + "/pytorch_model.bin");
  expect_refused("cut-end", good.substr(0, good.size() - 100), {"truncated"});
  expect_refused("cut-half", good.substr(0, good.size() / 2), {"truncated"});
  expect_refused("empty", "", {"truncated"});
  // A pre-1.6 torch.save file is a bare pickle: refused as not a zip.
  expect_refused("legacy", "\x80\x02\x8a\x0a" + std::string(200, 'l'), {"not a zip archive"});
  std::string bad_cd = good_archive(false);
  bad_cd[bad_cd.size() - 3] = '\x7f';  // central directory offset far past the end
  expect_refused("bad-directory-offset", bad_cd, {"central directory", "runs past the end"});
}

TEST_F(BadTorchBin, CompressedEntry) {
  expect_refused("deflated",
                 zip_bytes({{"a/data.pkl", state_dict_pickle({PickledTensor{}}), 8},
                            {"a/data/0", floats({1, 2, 3, 4})}},
                           false),
                 {"'a/data.pkl'", "compression method 8", "only stored"});
}

TEST_F(BadTorchBin, NoDataPkl) {
  expect_refused("no-pickle", zip_bytes({{"a/data/0", "xxxx"}}, false), {"no data.pkl"});
}

TEST_F(BadTorchBin, DisallowedGlobalIsRefusedNotRun) {
  PickledTensor t;
  t.storage_global = "os\nsystem\n";
  expect_refused("os-system", pickle_archive(state_dict_pickle({t})),
                 {"a/data.pkl", "global 'os.system' is not allowed"});
  expect_refused("builtins-eval",
                 pickle_archive(state_dict_pickle({PickledTensor{}}, "builtins\neval\n")),
                 {"global 'builtins.eval' is not allowed"});
  // An allowed global called the wrong way: REDUCE of a storage type.
  expect_refused("reduce-storage",
                 pickle_archive("\x80\x02"
                                "ctorch\nFloatStorage\n)R."),
                 {"REDUCE of 'torch.FloatStorage' is not allowed"});
}

TEST_F(BadTorchBin, UnknownOpcode) {
  // EMPTY_LIST ']' is not part of a state_dict pickle; INST 'i' would construct any class.
  expect_refused("empty-list", pickle_archive("\x80\x02]."), {"opcode 0x5d", "byte 2"});
  expect_refused("inst", pickle_archive("\x80\x02(ios\nsystem\n."), {"opcode 0x69"});
}

TEST_F(BadTorchBin, TruncatedPickle) {
  const std::string p = state_dict_pickle({PickledTensor{}});
  expect_refused("pickle-cut", pickle_archive(p.substr(0, p.size() - 1), floats({1, 2, 3, 4})),
                 {"no STOP"});
}

TEST_F(BadTorchBin, StorageKeyMissing) {
  PickledTensor t;
  t.key = "1";
  expect_refused("missing-storage", pickle_archive(state_dict_pickle({t})),
                 {"tensor 'model.norm.weight'", "storage '1' has no entry a/data/1"});
}

TEST_F(BadTorchBin, StorageOfTheWrongSize) {
  expect_refused("storage-size", pickle_archive(state_dict_pickle({PickledTensor{}}), "123456"),
                 {"storage '0' has 6 bytes", "4 F32 elements"});
}

TEST_F(BadTorchBin, ViewBeyondItsStorage) {
  PickledTensor t;
  t.offset = 1;  // 1 + 3 = element 4 of a 4-element storage
  expect_refused("view-past-end", pickle_archive(state_dict_pickle({t}), floats({1, 2, 3, 4})),
                 {"tensor 'model.norm.weight'", "offset 1", "reach beyond storage '0'"});
  t.offset = 0;
  t.stride = {3, 1};
  expect_refused("stride-past-end", pickle_archive(state_dict_pickle({t}), floats({1, 2, 3, 4})),
                 {"stride [3, 1]", "reach beyond"});
}

TEST_F(BadTorchBin, MalformedPersistentIdAndByteorder) {
  std::string p = state_dict_pickle({PickledTensor{}});
  p.replace(p.find("storage"), 7, "storagX");
  expect_refused("bad-pid", pickle_archive(p, floats({1, 2, 3, 4})), {"persistent id"});
  expect_refused("big-endian",
                 zip_bytes({{"a/byteorder", "big"},
                            {"a/data.pkl", state_dict_pickle({PickledTensor{}})},
                            {"a/data/0", floats({1, 2, 3, 4})}},
                           false),
                 {"byteorder 'big'"});
}

TEST_F(BadTorchBin, NotADict) {
  expect_refused("not-a-dict", pickle_archive("\x80\x02K\x01."),
                 {"holds a value of type int, not a state_dict"});
}

TEST_F(BadTorchBin, SelfContainingDictAndDeepNesting) {
  // d = {}; d['x'] = d: refused instead of building a cycle.
  expect_refused("cycle", pickle_archive("\x80\x02}q\x00X\x01\x00\x00\x00xh\x00s."s),
                 {"cannot contain itself"});
  // d2 = {}; d1 = {'a': d2}; d2['b'] = 1: a dict is not changed once inside another value.
  expect_refused("mutate-sealed",
                 pickle_archive("\x80\x02}q\x00X\x01\x00\x00\x00"s
                                "a}q\x01sh\x01X\x01\x00\x00\x00"s
                                "bK\x01s."s),
                 {"SETITEM on a dict already placed in another value"});
  std::string deep = "\x80\x02K\x01";
  for (int i = 0; i < 40; ++i) deep += "\x85";  // (((1,),),)...
  expect_refused("deep", pickle_archive(deep + "."), {"nest deeper than 32"});
}

}  // namespace
}  // namespace tpbench
