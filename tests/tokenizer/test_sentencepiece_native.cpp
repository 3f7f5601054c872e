// The native BPE engine for SentencePiece tokenizer.model files gives exactly what
// libsentencepiece gives for whole texts: on Meta's Llama 2 model over all ShareGPT text and
// awkward strings, and on tiny models trained here with libsentencepiece_train (BPE with
// several normalizer settings). Models it cannot express (unigram, user-defined symbols,
// NFKC normalization) fall back to the library.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <random>
#include <unordered_set>

#include "common/error.hpp"
#include "tokenizer/piece_cache.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/sentencepiece_model_spec.hpp"
#include "tokenizer/tokenizers_internal.hpp"
#include "tests/tokenizer/hf_json_fixtures.hpp"
#include "tests/tokenizer/test_data.hpp"
#include "tests/tokenizer/tokenizers_under_test.hpp"

namespace tpbench {
namespace {

using tok::SentencePieceEngine;
using namespace tpbench::testing;

std::filesystem::path llama2_model() {
  return data_dir() / "tokenizers" / "llama2" / "tokenizer.model";
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> awkward_strings() {
  std::vector<std::string> s = {
      "",
      " ",
      "   ",
      "\n",
      "\t",
      " leading space",
      "   leading spaces",
      "trailing space ",
      "trailing spaces   ",
      "multiple   spaces  between    words",
      "\n\nnew\nlines\n\n",
      " \n \n\n \t \t\t \t\n",
      "tabs\tand\t\ttabs",
      "\r\nwindows\r\n",
      "emoji \xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD family "
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
      "CJK \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9"
      "\xE3\x83\x88 \xE4\xB8\xAD\xE6\x96\x87 \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
      "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 "
      "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\x82",
      "invalid \xFF\xFE utf-8",
      "truncated \xC3",
      "truncated \xE2\x82",
      "overlong \xC0\xAF \xE0\x80\xAF",
      "surrogate \xED\xA0\x80 past max \xF4\x90\x80\x80 \xF8\x88\x80\x80\x80",
      "\x80\x80 lone continuation bytes",
      std::string("nul \0 byte", 10),
      "literal \xE2\x96\x81 metaspace \xE2\x96\x81\xE2\x96\x81",
      "\xE2\x96\x81",
      "replacement \xEF\xBF\xBD char",
      "<0x41> <0xFF> byte piece text",
      "<s>specials</s> inside <unk> text",
      "a",
      "12345678901234567890",
      "a'll 've 'S don't",
  };
  s.push_back(std::string(5000, 'a'));
  s.push_back(std::string(300, ' ') + "x" + std::string(300, ' '));
  std::string long_word;
  for (int i = 0; i < 400; ++i) long_word += "sup\xC3\xA9rcali\xF0\x9F\x98\x80";
  s.push_back(long_word);
  std::string long_code;
  for (int i = 0; i < 300; ++i) long_code += "x[" + std::to_string(i) + "]=f(y);";
  s.push_back(long_code);
  return s;
}

// Strings glued from fragments that stress the normalizer and the merge order.
std::vector<std::string> random_strings(size_t count) {
  const std::vector<std::string> fragments = {" ",
                                              "  ",
                                              "\t",
                                              "\n",
                                              "a",
                                              "the",
                                              "Hello",
                                              "ing",
                                              "\xE2\x96\x81",
                                              "\xEF\xBF\xBD",
                                              "\xFF",
                                              "\xC3",
                                              "\xE2\x82",
                                              "\xC3\xA9",
                                              "\xE6\x97\xA5\xE6\x9C\xAC",
                                              "\xF0\x9F\x98\x80",
                                              "<s>",
                                              "</s>",
                                              "<unk>",
                                              "<0x41>",
                                              "12345",
                                              "\r\n",
                                              std::string(1, '\0'),
                                              "::",
                                              "```"};
  std::mt19937 rng(20240531);
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    std::string s;
    const size_t n = rng() % 24;
    for (size_t k = 0; k < n; ++k) s += fragments[rng() % fragments.size()];
    out.push_back(std::move(s));
  }
  return out;
}

void expect_same_ids(const Tokenizer& native, const Tokenizer& library,
                     const std::vector<std::string>& texts, const std::string& what) {
  size_t differing = 0;
  for (const std::string& text : texts) {
    const auto got = native.encode(text, true);
    const auto want = library.encode(text, true);
    if (got != want && ++differing <= 3)
      ADD_FAILURE() << what << ": ids differ for '" << text.substr(0, 200) << "'";
  }
  EXPECT_EQ(differing, 0u) << what << ": " << texts.size() << " texts";
}

TEST(SentencePieceModelSpec, ReadsLlama2Settings) {
  const auto spec = tok::parse_sentencepiece_model_spec(read_file(llama2_model()));
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->model_type, tok::SentencePieceModelType::kBpe);
  EXPECT_TRUE(spec->byte_fallback);
  EXPECT_FALSE(spec->treat_whitespace_as_suffix);
  EXPECT_FALSE(spec->has_precompiled_charsmap);
  EXPECT_TRUE(spec->add_dummy_prefix);
  EXPECT_FALSE(spec->remove_extra_whitespaces);
  EXPECT_TRUE(spec->escape_whitespaces);
  ASSERT_EQ(spec->piece_types.size(), 32000u);
  EXPECT_EQ(spec->piece_types[0], tok::SentencePieceType::kUnknown);
  EXPECT_EQ(spec->piece_types[1], tok::SentencePieceType::kControl);
  EXPECT_EQ(spec->piece_types[3], tok::SentencePieceType::kByte);
  EXPECT_EQ(spec->piece_types[259], tok::SentencePieceType::kNormal);
}

TEST(SentencePieceModelSpec, RejectsTruncatedProto) {
  const std::string bytes = read_file(llama2_model());
  EXPECT_FALSE(tok::parse_sentencepiece_model_spec(bytes.substr(0, bytes.size() / 2)));
  EXPECT_FALSE(tok::parse_sentencepiece_model_spec("\x0A\x7F"));
}

TEST(SentencePieceNative, Llama2LoadsOnTheNativeBpe) {
  const auto tok = load_tokenizer(data_dir() / "tokenizers" / "llama2");
  EXPECT_EQ(tok::sentencepiece_engine(*tok), SentencePieceEngine::kNativeBpe);
  EXPECT_EQ(tok::sentencepiece_engine(llama3_tiktoken()), std::nullopt);
}

TEST(SentencePieceNative, Llama2SameIdsAsLibraryOnShareGptAndAwkwardStrings) {
  const auto native = tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kNativeBpe);
  const auto library =
      tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kLibraryWholeText);
  ASSERT_EQ(tok::sentencepiece_engine(*native), SentencePieceEngine::kNativeBpe);
  ASSERT_EQ(tok::sentencepiece_engine(*library), SentencePieceEngine::kLibraryWholeText);
  expect_same_ids(*native, *library, sharegpt_texts(), "data/sharegpt");
  expect_same_ids(*native, *library, awkward_strings(), "awkward strings");
  expect_same_ids(*native, *library, random_strings(3000), "random strings");
  const auto dir = data_dir() / "tokenizers" / "testvec";
  std::vector<std::string> golden_inputs;
  for (auto& c :
       read_golden(dir / "tokenizer-testvec.inp", dir / "tokenizer-testvec.llama2-spm.out"))
    golden_inputs.push_back(c.text);
  expect_same_ids(*native, *library, golden_inputs, "golden inputs");
}

TEST(SentencePieceNative, Llama2SameIdsAsLibraryOnSharedShareGpt) {
  std::unordered_set<std::string> distinct;
  for (const char* name : {"sharegpt-perf-1440.json", "sharegpt-365conv-multiturn-noid.json"}) {
    const auto file = shared_data_dir() / name;
    if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " absent (shared data)";
    for (auto& t : read_sharegpt_texts(file)) distinct.insert(std::move(t));
  }
  const auto native = tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kNativeBpe);
  const auto library =
      tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kLibraryWholeText);
  const std::vector<std::string> texts(distinct.begin(), distinct.end());
  ASSERT_GT(texts.size(), 1000u);
  expect_same_ids(*native, *library, texts, "shared ShareGPT");
}

TEST(SentencePieceNative, LibraryByWordsStillAgreesWithWholeTexts) {
  const auto by_words =
      tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kLibraryByWords);
  const auto whole =
      tok::load_sentencepiece(llama2_model(), SentencePieceEngine::kLibraryWholeText);
  ASSERT_EQ(tok::sentencepiece_engine(*by_words), SentencePieceEngine::kLibraryByWords);
  expect_same_ids(*by_words, *whole, sharegpt_texts(), "data/sharegpt");
}

// SentencePiece breaks ties between equally scored pieces by position, not by piece order.
TEST(SentencePieceBpe, EqualScoresMergeLeftmostFirst) {
  using tok::SentencePieceType;
  const std::vector<tok::SentencePieceEntry> pieces = {
      {"<unk>", 0, SentencePieceType::kUnknown},
      {"\xE2\x96\x81", -1, SentencePieceType::kNormal},
      {"a", -1, SentencePieceType::kNormal},
      {"b", -1, SentencePieceType::kNormal},
      {"c", -1, SentencePieceType::kNormal},
      {"bc", -2, SentencePieceType::kNormal},  // listed first, same score as "ab"
      {"ab", -2, SentencePieceType::kNormal},
  };
  tok::SentencePieceModelSpec spec;
  spec.model_type = tok::SentencePieceModelType::kBpe;
  spec.add_dummy_prefix = false;
  std::string why_not;
  const auto bpe = tok::SentencePieceBpe::build(pieces, spec, 0, why_not);
  ASSERT_TRUE(bpe) << why_not;
  auto encode = [&](std::string_view text) {
    std::vector<int32_t> ids;
    bpe->encode(text, tok::PieceCache::next_serial(), ids);
    return ids;
  };
  EXPECT_EQ(encode("abc"), (std::vector<int32_t>{6, 4}));  // ab c, not a bc
  EXPECT_EQ(encode("bcab"), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(encode("abcxy"), (std::vector<int32_t>{6, 4, 0}));  // x y: one fused unknown
  EXPECT_EQ(encode("cabcbc"), (std::vector<int32_t>{4, 6, 4, 5}));
  spec.model_type = tok::SentencePieceModelType::kUnigram;
  EXPECT_FALSE(tok::SentencePieceBpe::build(pieces, spec, 0, why_not));
  EXPECT_NE(why_not.find("not BPE"), std::string::npos) << why_not;
}

// Tiny models trained here from a few KB of ShareGPT text.
class TrainedSentencePiece : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(fixture_dir("sentencepiece-trained"));
    std::ofstream corpus(*dir_ / "corpus.txt", std::ios::binary);
    size_t bytes = 0;
    for (const std::string& text : sharegpt_texts()) {
      for (size_t start = 0; start < text.size() && bytes < 60000;) {
        const size_t end = std::min(text.find('\n', start), text.size());
        if (end - start < 2000) corpus << text.substr(start, end - start) << '\n';
        bytes += end - start;
        start = end + 1;
      }
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  // Trains `name`.model with these extra trainer flags; returns its path.
  static std::filesystem::path train(const std::string& name, const std::string& flags) {
    const auto prefix = *dir_ / name;
    const std::string args = "--input=" + (*dir_ / "corpus.txt").string() +
                             " --model_prefix=" + prefix.string() +
                             " --vocab_size=400 --num_threads=1 --minloglevel=2 " + flags;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return prefix.string() + ".model";
  }

  static void expect_engine_and_same_ids(const std::filesystem::path& model,
                                         SentencePieceEngine expected) {
    const auto fast = tok::load_sentencepiece(model, SentencePieceEngine::kNativeBpe);
    const auto library = tok::load_sentencepiece(model, SentencePieceEngine::kLibraryWholeText);
    EXPECT_EQ(tok::sentencepiece_engine(*fast), expected) << model;
    expect_same_ids(*fast, *library, sharegpt_texts(), model.filename().string() + " sharegpt");
    expect_same_ids(*fast, *library, awkward_strings(), model.filename().string() + " awkward");
    expect_same_ids(*fast, *library, random_strings(1000), model.filename().string() + " random");
  }

  static std::filesystem::path* dir_;
};
std::filesystem::path* TrainedSentencePiece::dir_ = nullptr;

// InternLM2's layout: a SentencePiece tokenizer.model plus tokenizer_config.json whose
// added_tokens_decoder names chat markers. As HF's slow tokenizer does, each marker is one id
// and the text between markers is SentencePiece's own encoding (libsentencepiece is the oracle);
// BOS comes first, as HF's encode adds it for InternLM and InternLM2 (add_bos_token true).
TEST_F(TrainedSentencePiece, AddedTokensFromTokenizerConfigAreOneIdEach) {
  const auto trained = train("internlm2-like",
                             "--model_type=bpe --normalization_rule_name=identity "
                             "--byte_fallback=true --remove_extra_whitespaces=false");
  const auto folder = *dir_ / "internlm2-like";
  std::filesystem::create_directories(folder);
  std::filesystem::copy_file(trained, folder / "tokenizer.model",
                             std::filesystem::copy_options::overwrite_existing);
  sentencepiece::SentencePieceProcessor oracle;
  ASSERT_TRUE(oracle.Load(trained.string()).ok());
  const int im_start = oracle.GetPieceSize() - 2, im_end = oracle.GetPieceSize() - 1;
  const std::string text = "<|im_start|>user\nHi there, how are you?<|im_end|>\n<|im_start|>";
  const auto library_ids = [&](const std::string& segment) {
    std::vector<int> ids;
    EXPECT_TRUE(oracle.Encode(segment, &ids).ok());
    return std::vector<int32_t>(ids.begin(), ids.end());
  };

  // Without tokenizer_config.json the markers are plain text.
  const auto plain = tok::load_sentencepiece(folder / "tokenizer.model");
  EXPECT_EQ(plain->encode(text, false), library_ids(text));

  std::ofstream(folder / "tokenizer_config.json")
      << R"({"add_bos_token": true, "added_tokens_decoder": {)"
      << R"("1": {"content": "<s>", "lstrip": false, "rstrip": false, "special": true},)"
      << "\"" << im_start << R"(": {"content": "<|im_start|>", "special": true},)"
      << "\"" << im_end << R"(": {"content": "<|im_end|>", "special": true}}})";
  const auto with_markers = tok::load_sentencepiece(folder / "tokenizer.model");
  std::vector<int32_t> want{oracle.bos_id(), im_start};
  for (int32_t id : library_ids("user\nHi there, how are you?")) want.push_back(id);
  want.push_back(im_end);
  for (int32_t id : library_ids("\n")) want.push_back(id);
  want.push_back(im_start);
  EXPECT_EQ(oracle.bos_id(), 1);
  EXPECT_EQ(with_markers->encode(text, true), want);

  // An added token past the model's pieces is refused, naming the file.
  std::ofstream(folder / "tokenizer_config.json")
      << R"({"added_tokens_decoder": {"99999": {"content": "<|x|>"}}})";
  try {
    tok::load_sentencepiece(folder / "tokenizer.model");
    ADD_FAILURE() << "an added token id past the pieces was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json: added token '<|x|>' has id 99999"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TrainedSentencePiece, BpeWithUnknownFusingRunsNative) {
  // remove_extra_whitespaces (the trainer's default) and no byte fallback: unknown characters
  // (CJK, emoji) become one fused <unk>.
  expect_engine_and_same_ids(
      train("bpe-unk", "--model_type=bpe --normalization_rule_name=identity"),
      SentencePieceEngine::kNativeBpe);
}

TEST_F(TrainedSentencePiece, BpeWithByteFallbackRunsNative) {
  expect_engine_and_same_ids(
      train("bpe-bytes",
            "--model_type=bpe --normalization_rule_name=identity --byte_fallback=true "
            "--remove_extra_whitespaces=false --split_digits=true"),
      SentencePieceEngine::kNativeBpe);
}

TEST_F(TrainedSentencePiece, BpeWithoutDummyPrefixRunsNative) {
  expect_engine_and_same_ids(train("bpe-noprefix",
                                   "--model_type=bpe --normalization_rule_name=identity "
                                   "--add_dummy_prefix=false --byte_fallback=true"),
                             SentencePieceEngine::kNativeBpe);
}

TEST_F(TrainedSentencePiece, UnigramFallsBackToLibrary) {
  const auto model = train("unigram", "--model_type=unigram --normalization_rule_name=identity");
  const auto tok = tok::load_sentencepiece(model, SentencePieceEngine::kNativeBpe);
  EXPECT_NE(tok::sentencepiece_engine(*tok), SentencePieceEngine::kNativeBpe);
  expect_engine_and_same_ids(model, *tok::sentencepiece_engine(*tok));
}

TEST_F(TrainedSentencePiece, UserDefinedSymbolsFallBackToLibrary) {
  const auto model = train("bpe-user",
                           "--model_type=bpe --normalization_rule_name=identity "
                           "--user_defined_symbols=the,<tool>");
  const auto tok = tok::load_sentencepiece(model, SentencePieceEngine::kNativeBpe);
  EXPECT_NE(tok::sentencepiece_engine(*tok), SentencePieceEngine::kNativeBpe);
  expect_engine_and_same_ids(model, *tok::sentencepiece_engine(*tok));
}

TEST_F(TrainedSentencePiece, NfkcNormalizationFallsBackToLibrary) {
  const auto model = train("bpe-nfkc", "--model_type=bpe --normalization_rule_name=nmt_nfkc");
  const auto tok = tok::load_sentencepiece(model, SentencePieceEngine::kNativeBpe);
  EXPECT_NE(tok::sentencepiece_engine(*tok), SentencePieceEngine::kNativeBpe);
  expect_engine_and_same_ids(model, *tok::sentencepiece_engine(*tok));
}

}  // namespace
}  // namespace tpbench
