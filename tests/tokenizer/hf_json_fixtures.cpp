#include "tests/tokenizer/hf_json_fixtures.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>

#include <unistd.h>

#include "tokenizer/tokenizers_internal.hpp"

namespace tpbench::testing {

namespace {

using nlohmann::json;

// Written independently of the engine's own table on purpose: a slip in either shows up.
std::string gpt2_spelling(const std::string& bytes) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool keeps = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      const unsigned cp = keeps ? static_cast<unsigned>(b) : 256u + static_cast<unsigned>(extra++);
      std::string s;
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
      t[b] = s;
    }
    return t;
  }();
  std::string out;
  for (unsigned char c : bytes) out += table[c];
  return out;
}

std::string base64_decode(const std::string& in) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = alphabet.find(c);
    if (v == std::string::npos) throw std::runtime_error("bad base64 in fixture source");
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

void write_json(const json& doc, const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << doc.dump();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

json added_token(int id, const std::string& content) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

json bos_template(const std::string& bos, int bos_id) {
  return {{"type", "TemplateProcessing"},
          {"single", json::array({{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}},
                                  {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
          {"pair", json::array({{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                {{"SpecialToken", {{"id", bos}, {"type_id", 1}}}},
                                {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
          {"special_tokens",
           {{bos, {{"id", bos}, {"ids", json::array({bos_id})}, {"tokens", json::array({bos})}}}}}};
}

// Llama 2's and Mistral's decoder: "▁" -> " ", <0xXX> -> bytes, drop the first space.
json sentencepiece_decoder() {
  return {{"type", "Sequence"},
          {"decoders",
           json::array(
               {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                {{"type", "ByteFallback"}},
                {{"type", "Fuse"}},
                {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}};
}

}  // namespace

void write_llama3_tokenizer_json(const std::filesystem::path& tiktoken_model,
                                 const std::filesystem::path& out_dir) {
  std::ifstream in(tiktoken_model);
  if (!in) throw std::runtime_error("cannot open " + tiktoken_model.string());
  std::vector<std::string> tokens;  // by rank
  std::unordered_map<std::string, int> rank_of;
  for (std::string line; std::getline(in, line);) {
    const size_t space = line.find(' ');
    const std::string bytes = base64_decode(line.substr(0, space));
    rank_of[bytes] = std::stoi(line.substr(space + 1));
    tokens.push_back(bytes);
  }
  json vocab = json::object();
  json merges = json::array();
  for (size_t rank = 0; rank < tokens.size(); ++rank) {
    const std::string& token = tokens[rank];
    vocab[gpt2_spelling(token)] = rank;
    std::vector<std::pair<int, int>> local;
    for (size_t cut = 1; cut < token.size(); ++cut) {
      auto l = rank_of.find(token.substr(0, cut)), r = rank_of.find(token.substr(cut));
      if (l != rank_of.end() && r != rank_of.end()) local.emplace_back(l->second, r->second);
    }
    std::sort(local.begin(), local.end());
    for (auto [l, r] : local)
      merges.push_back(json::array({gpt2_spelling(tokens[l]), gpt2_spelling(tokens[r])}));
  }
  const std::vector<std::string> specials = tok::llama3_special_tokens();
  json added = json::array();
  const int base = static_cast<int>(tokens.size());
  for (int i = 0; i < 256; ++i) added.push_back(added_token(base + i, specials[i]));

  const std::string pattern =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  json doc = {{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer",
               {{"type", "Sequence"},
                {"pretokenizers", json::array({{{"type", "Split"},
                                                {"pattern", {{"Regex", pattern}}},
                                                {"behavior", "Isolated"},
                                                {"invert", false}},
                                               {{"type", "ByteLevel"},
                                                {"add_prefix_space", false},
                                                {"trim_offsets", true},
                                                {"use_regex", false}}})}}},
              {"post_processor",
               {{"type", "Sequence"},
                {"processors", json::array({{{"type", "ByteLevel"},
                                             {"add_prefix_space", true},
                                             {"trim_offsets", false},
                                             {"use_regex", true}},
                                            bos_template("<|begin_of_text|>", base)})}}},
              {"decoder",
               {{"type", "ByteLevel"},
                {"add_prefix_space", true},
                {"trim_offsets", true},
                {"use_regex", true}}},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", true},
                {"vocab", vocab},
                {"merges", merges}}}};
  write_json(doc, out_dir / "tokenizer.json");
  write_json({{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|end_of_text|>"}},
             out_dir / "tokenizer_config.json");
}

void write_llama2_tokenizer_json(const std::filesystem::path& llama2c_bin,
                                 const std::filesystem::path& out_dir, Llama2Style style) {
  std::ifstream in(llama2c_bin, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + llama2c_bin.string());
  int32_t max_len = 0;
  in.read(reinterpret_cast<char*>(&max_len), 4);
  struct Piece {
    std::string text;
    float score;
  };
  std::vector<Piece> pieces;
  for (;;) {
    float score = 0;
    int32_t len = 0;
    if (!in.read(reinterpret_cast<char*>(&score), 4)) break;
    in.read(reinterpret_cast<char*>(&len), 4);
    std::string bytes(static_cast<size_t>(len), '\0');
    in.read(bytes.data(), len);
    if (!in) throw std::runtime_error("truncated " + llama2c_bin.string());
    // llama2.c wrote '▁' as ' ' and BOS/EOS as "\n<s>\n", "\n</s>\n".
    std::string text;
    for (char c : bytes) text += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
    pieces.push_back({text, score});
  }
  pieces.at(1).text = "<s>";
  pieces.at(2).text = "</s>";

  std::unordered_map<std::string, int> id_of;
  for (size_t id = 0; id < pieces.size(); ++id) id_of[pieces[id].text] = static_cast<int>(id);
  struct Merge {
    int left, right;
    float score;
  };
  std::vector<Merge> merges;
  for (const Piece& piece : pieces) {
    std::vector<Merge> local;
    for (size_t cut = 1; cut < piece.text.size(); ++cut) {
      if ((static_cast<unsigned char>(piece.text[cut]) & 0xC0) == 0x80) continue;  // mid-character
      auto l = id_of.find(piece.text.substr(0, cut)), r = id_of.find(piece.text.substr(cut));
      if (l != id_of.end() && r != id_of.end())
        local.push_back({l->second, r->second, piece.score});
    }
    std::sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
      return std::pair(a.left, a.right) < std::pair(b.left, b.right);
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  // Python's sorted(..., reverse=True) is stable: equal scores keep piece order.
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge& a, const Merge& b) { return a.score > b.score; });

  json vocab = json::object();
  for (size_t id = 0; id < pieces.size(); ++id) vocab[pieces[id].text] = id;
  json merge_list = json::array();
  for (const Merge& m : merges)
    merge_list.push_back(pieces[m.left].text + " " + pieces[m.right].text);

  json added =
      json::array({added_token(0, "<unk>"), added_token(1, "<s>"), added_token(2, "</s>")});
  json doc = {{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"post_processor", bos_template("<s>", 1)},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", "<unk>"},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", true},
                {"byte_fallback", true},
                {"vocab", vocab},
                {"merges", merge_list}}}};
  if (style == Llama2Style::kLegacyNormalizer) {
    doc["normalizer"] = {
        {"type", "Sequence"},
        {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                     {{"type", "Replace"},
                                      {"pattern", {{"String", " "}}},
                                      {"content", "\xE2\x96\x81"}}})}};
    doc["pre_tokenizer"] = nullptr;
    doc["decoder"] = sentencepiece_decoder();
    write_json({{"add_bos_token", true},
                {"add_eos_token", false},
                {"bos_token", "<s>"},
                {"eos_token", {{"content", "</s>"}, {"special", true}}}},
               out_dir / "tokenizer_config.json");
  } else {
    doc["normalizer"] = nullptr;
    doc["pre_tokenizer"] = {{"type", "Metaspace"},
                            {"replacement", "\xE2\x96\x81"},
                            {"prepend_scheme", "first"},
                            {"split", false}};
    doc["decoder"] = sentencepiece_decoder();
  }
  write_json(doc, out_dir / "tokenizer.json");
}

std::filesystem::path fixture_dir(const std::string& name) {
  // One folder per process: ctest runs test cases in parallel processes. Removed at exit.
  struct Cleanup {
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  const auto dir = std::filesystem::path(TPBENCH_BINARY_DIR) / "tests" / "tokenizer" / "fixtures" /
                   (name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

}  // namespace tpbench::testing
