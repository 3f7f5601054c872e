// Unusable tokenizer files give an InputError whose one-line message names the file.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "common/error.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tests/tokenizer/hf_json_fixtures.hpp"
#include "tests/tokenizer/test_data.hpp"

namespace tpbench {
namespace {

using namespace tpbench::testing;

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Loads `dir` and expects an InputError mentioning every one of `needles`.
void expect_input_error(const std::filesystem::path& dir, const std::vector<std::string>& needles) {
  try {
    load_tokenizer(dir);
    FAIL() << "no error for " << dir;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& n : needles) EXPECT_NE(message.find(n), std::string::npos) << message;
  }
}

std::filesystem::path fresh_dir(const std::string& name) {
  return fixture_dir("bad-" + name);
}

TEST(TokenizerBadInput, MissingDirectory) {
  const auto dir = fresh_dir("missing") / "no-such-model";
  expect_input_error(dir, {dir.string(), "not found"});
}

TEST(TokenizerBadInput, DirectoryWithoutTokenizerFile) {
  const auto dir = fresh_dir("empty");
  write(dir / "config.json", "{}");
  expect_input_error(dir, {dir.string(), "tokenizer.json", "tokenizer.model"});
}

TEST(TokenizerBadInput, RandomBytesTokenizerModel) {
  const auto dir = fresh_dir("random");
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  write(dir / "tokenizer.model", bytes);
  expect_input_error(dir, {(dir / "tokenizer.model").string()});
}

TEST(TokenizerBadInput, TruncatedSentencePieceModel) {
  const auto dir = fresh_dir("truncated-sp");
  const std::string model = read(data_dir() / "tokenizers" / "llama2" / "tokenizer.model");
  write(dir / "tokenizer.model", model.substr(0, model.size() / 2 + 3));
  expect_input_error(dir, {(dir / "tokenizer.model").string()});
}

TEST(TokenizerBadInput, TruncatedTiktokenModel) {
  const auto dir = fresh_dir("truncated-tiktoken");
  const std::string ranks = read(data_dir() / "tokenizers" / "llama3" / "tokenizer.model");
  for (size_t cut : {ranks.size() / 2, ranks.size() / 3 + 1, ranks.size() - 2}) {
    ASSERT_NE(ranks[cut - 1], '\n');  // cut inside a line
    write(dir / "tokenizer.model", ranks.substr(0, cut));
    expect_input_error(dir, {(dir / "tokenizer.model").string()});
  }
}

TEST(TokenizerBadInput, TiktokenWithBadLine) {
  const auto dir = fresh_dir("bad-line");
  write(dir / "tokenizer.model", "IQ== 0\nIg== 1\n!!!! 2\n");
  expect_input_error(dir, {(dir / "tokenizer.model").string() + ":3"});
}

TEST(TokenizerBadInput, TokenizerJsonNotJson) {
  const auto dir = fresh_dir("not-json");
  write(dir / "tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
  write(dir / "tokenizer.model", read(data_dir() / "tokenizers" / "llama2" / "tokenizer.model"));
  expect_input_error(dir, {(dir / "tokenizer.json").string(), "JSON"});
}

TEST(TokenizerBadInput, TokenizerJsonModelNotBpe) {
  const auto dir = fresh_dir("unigram");
  write(dir / "tokenizer.json",
        R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]]}})");
  expect_input_error(dir, {(dir / "tokenizer.json").string(), "model.type", "Unigram"});
}

TEST(TokenizerBadInput, TokenizerJsonWithoutModel) {
  const auto dir = fresh_dir("no-model");
  write(dir / "tokenizer.json", R"({"version": "1.0", "added_tokens": []})");
  expect_input_error(dir, {(dir / "tokenizer.json").string(), "model"});
}

TEST(TokenizerBadInput, TokenizerJsonMergeOfUnknownToken) {
  const auto dir = fresh_dir("bad-merge");
  write(
      dir / "tokenizer.json",
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "b c"]}})");
  expect_input_error(dir, {(dir / "tokenizer.json").string(), "model.merges[1]", "'c'"});
}

TEST(TokenizerBadInput, TokenizerJsonUnsupportedPreTokenizer) {
  const auto dir = fresh_dir("bad-pretok");
  write(dir / "tokenizer.json",
        R"({"pre_tokenizer": {"type": "BertPreTokenizer"},
            "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})");
  expect_input_error(dir, {(dir / "tokenizer.json").string(), "pre_tokenizer.type"});
}

TEST(TokenizerBadInput, DecodeOfOutOfRangeId) {
  const auto tok = load_tokenizer(data_dir() / "tokenizers" / "llama2");
  const std::vector<int32_t> ids = {1, 32000};
  EXPECT_THROW(tok->decode(ids), InputError);
}

}  // namespace
}  // namespace tpbench
