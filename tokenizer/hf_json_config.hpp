#pragma once
// What tpbench uses of a HF tokenizer.json (+ tokenizer_config.json), parsed and checked:
// the normalizer, pre-tokenizer and decoder steps flattened to lists, the BPE model's vocab
// and merges, the added tokens, and the special ids the post-processor puts around a text.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/regex_splitter.hpp"
#include "tokenizer/special_splitter.hpp"

namespace tpbench::tok {

struct HfNormalizer {
  enum class Kind { kPrepend, kReplace, kStrip };
  explicit HfNormalizer(Kind k) : kind(k) {}
  Kind kind;
  std::string text;                      // kPrepend: what to prepend; kReplace: the content
  std::string literal;                   // kReplace with a String pattern
  std::shared_ptr<RegexSplitter> regex;  // kReplace with a Regex pattern
  bool left = false, right = false;      // kStrip
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
enum class PrependScheme { kAlways, kFirst, kNever };

struct HfPreTokenizer {
  enum class Kind { kSplit, kByteLevel, kMetaspace };
  explicit HfPreTokenizer(Kind k) : kind(k) {}
  Kind kind;
  std::shared_ptr<RegexSplitter> regex;  // kSplit; kByteLevel with use_regex
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // kByteLevel
  std::string replacement;        // kMetaspace
  PrependScheme prepend_scheme = PrependScheme::kAlways;
  bool split = false;  // kMetaspace: split before each replacement character
};

struct HfDecoder {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace };
  explicit HfDecoder(Kind k) : kind(k) {}
  Kind kind;
  std::string from, to;  // kReplace; kMetaspace: from = replacement
  std::string strip_content;
  size_t strip_start = 0, strip_stop = 0;
  bool strip_first_space = false;  // kMetaspace: the prepended space of the first token
};

struct HfBpeModel {
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // rank order
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

struct HfAddedToken {
  SpecialToken token;
  bool special = false;
};

struct HfTokenizerConfig {
  std::string origin;  // the tokenizer.json path, for messages
  std::vector<HfNormalizer> normalizers;
  std::vector<HfPreTokenizer> pre_tokenizers;
  bool byte_level = false;  // a ByteLevel pre-tokenizer: vocab strings spell raw bytes
  HfBpeModel model;
  std::vector<HfAddedToken> added_tokens;
  std::vector<HfDecoder> decoders;
  bool decoder_missing = false;                 // HF then joins tokens with spaces
  std::vector<int32_t> prefix_ids, suffix_ids;  // added when encode(add_bos = true)
  // From tokenizer_config.json; add_*_token, when present, replace the post-processor's ids.
  std::optional<std::string> bos_token, eos_token;
  std::optional<bool> add_bos_token, add_eos_token;
};

// Throws InputError naming the file and field for anything unreadable or unsupported.
HfTokenizerConfig parse_hf_tokenizer_json(const std::filesystem::path& tokenizer_json);

}  // namespace tpbench::tok
