// A SentencePiece `tokenizer.model` (protobuf; Llama 2, Mistral). As HF's Llama tokenizers do,
// the text of control tokens ("<s>", "</s>") and "<unk>" in the input becomes that token, and
// each stretch of text between them is encoded on its own, by one of three engines:
//
// - kNativeBpe: BPE models (Llama 2, Mistral, CodeLlama) run on the project's own char-level
//   BPE (SentencePieceBpe), built at load from the pieces, scores and types libsentencepiece
//   reports and the model's normalizer spec. Load checks it against the library on probes.
// - kLibraryByWords: libsentencepiece, word by word. When no piece has "▁" right after
//   another character (Llama's vocabularies), no merge crosses a single space between two
//   non-spaces, so "a b" is Encode("a") + Encode("b"), the dummy-prefix "▁" of "b" standing
//   for the space, each word's ids cached per thread. Load checks that on probes.
// - kLibraryWholeText: libsentencepiece on whole texts (~1.5-3 MB/s).
// Decoding always goes through libsentencepiece.
#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>

#include "common/error.hpp"
#include "common/log.hpp"
#include "tokenizer/added_tokens.hpp"
#include "tokenizer/piece_cache.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/special_splitter.hpp"
#include "tokenizer/tokenizers_internal.hpp"

namespace tpbench::tok {

namespace {

// Inputs on which a fast engine must give what the library gives, or it is not used.
constexpr std::string_view kProbes[] = {
    "Hello world",
    "a b  c   d \n e\tf ",
    " x\ny z",
    "1 2 3",
    "  leading and trailing  ",
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80\xF0\x9F\x8E\x89 caf\xC3\xA9",
    "bad \xFF\xC3 utf-8 \xED\xA0\x80 \xF4\x90\x80\x80",
    "\xE2\x96\x81\xE2\x96\x81 literal \xE2\x96\x81",
    "<0x41> \xEF\xBF\xBD",
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& file, const std::string& serialized,
                         SentencePieceEngine preferred)
      : serial_(PieceCache::next_serial()) {
    const auto status = processor_.LoadFromSerializedProto(serialized);
    if (!status.ok())
      throw InputError(file.string() + ": not a SentencePiece model (" + status.ToString() + ")");
    if (processor_.GetPieceSize() <= 0)
      throw InputError(file.string() + ": SentencePiece model has no pieces");
    for (int id = 0; id < processor_.GetPieceSize(); ++id)
      if (processor_.IsControl(id) || processor_.IsUnknown(id))
        specials_.add(SpecialToken{processor_.IdToPiece(id), id});
    // tokenizer_config.json's added tokens (InternLM2's chat markers), split out as HF does.
    for (SpecialToken& token : read_added_tokens(file.parent_path() / "tokenizer_config.json")) {
      if (token.id >= processor_.GetPieceSize())
        throw InputError((file.parent_path() / "tokenizer_config.json").string() +
                         ": added token '" + token.content + "' has id " +
                         std::to_string(token.id) + ", outside the " +
                         std::to_string(processor_.GetPieceSize()) + " pieces of " + file.string());
      specials_.add(std::move(token));
    }
    words_are_independent_ = no_piece_spans_a_space();
    if (preferred == SentencePieceEngine::kNativeBpe && use_native_bpe(file)) {
      engine_ = SentencePieceEngine::kNativeBpe;
    } else if (preferred != SentencePieceEngine::kLibraryWholeText && words_are_independent_ &&
               agrees_with_library(SentencePieceEngine::kLibraryByWords)) {
      engine_ = SentencePieceEngine::kLibraryByWords;
    }
  }

  SentencePieceEngine engine() const { return engine_; }

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    if (add_bos && bos_id() >= 0) ids.push_back(bos_id());
    specials_.split(
        text, [&](std::string_view segment) { encode_segment(engine_, segment, ids); },
        [&](int32_t id) { ids.push_back(id); });
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::vector<int> piece_ids(ids.begin(), ids.end());
    for (int id : piece_ids)
      if (id < 0 || id >= vocab_size())
        throw InputError("decode: token id " + std::to_string(id) + " out of range");
    std::string text;
    const auto status = processor_.Decode(piece_ids, &text);
    if (!status.ok()) throw InputError("sentencepiece decode failed: " + status.ToString());
    return text;
  }

  int32_t bos_id() const override { return processor_.bos_id(); }
  int32_t eos_id() const override { return processor_.eos_id(); }
  int32_t vocab_size() const override { return processor_.GetPieceSize(); }
  std::string kind() const override { return "sentencepiece"; }

 private:
  void encode_segment(SentencePieceEngine engine, std::string_view text,
                      std::vector<int32_t>& ids) const {
    switch (engine) {
      case SentencePieceEngine::kNativeBpe:
        native_->encode(text, serial_, ids);
        break;
      case SentencePieceEngine::kLibraryByWords:
        encode_by_words(text, ids);
        break;
      case SentencePieceEngine::kLibraryWholeText:
        encode_with_library(text, ids);
        break;
    }
  }

  bool use_native_bpe(const std::filesystem::path& file) {
    std::string why_not;
    const auto spec = parse_sentencepiece_model_spec(processor_.serialized_model_proto());
    if (!spec) {
      why_not = "cannot read its ModelProto";
    } else if (spec->piece_types.size() != static_cast<size_t>(processor_.GetPieceSize())) {
      why_not = "ModelProto piece count differs from the library's";
    } else {
      std::vector<SentencePieceEntry> pieces(spec->piece_types.size());
      for (int id = 0; id < processor_.GetPieceSize(); ++id) {
        SentencePieceEntry& p = pieces[static_cast<size_t>(id)];
        p.text = processor_.IdToPiece(id);
        p.score = processor_.GetScore(id);
        p.type = processor_.IsUnknown(id)   ? SentencePieceType::kUnknown
                 : processor_.IsControl(id) ? SentencePieceType::kControl
                 : processor_.IsByte(id)    ? SentencePieceType::kByte
                 : processor_.IsUnused(id)  ? SentencePieceType::kUnused
                                            : spec->piece_types[static_cast<size_t>(id)];
      }
      native_ = SentencePieceBpe::build(pieces, *spec, processor_.unk_id(), why_not);
      if (native_ && !agrees_with_library(SentencePieceEngine::kNativeBpe)) {
        native_.reset();
        why_not = "it disagrees with libsentencepiece on a probe";
      }
    }
    if (!native_)
      log_debug(file.string() +
                ": SentencePiece model runs on libsentencepiece, not the native BPE: " + why_not);
    return native_ != nullptr;
  }

  bool agrees_with_library(SentencePieceEngine engine) const {
    for (std::string_view probe : kProbes) {
      std::vector<int32_t> expected, got;
      encode_with_library(probe, expected);
      encode_segment(engine, probe, got);
      if (expected != got) return false;
    }
    return true;
  }

  void encode_with_library(std::string_view text, std::vector<int32_t>& ids) const {
    thread_local std::vector<int> piece_ids;
    const auto status = processor_.Encode(text, &piece_ids);
    if (!status.ok()) throw InputError("sentencepiece encode failed: " + status.ToString());
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }

  // Calls fn(word) for the words between single spaces that sit between two non-spaces;
  // those spaces are dropped (the dummy prefix of the next word stands for them).
  template <typename Fn>
  static void for_each_word(std::string_view text, Fn&& fn) {
    size_t start = 0;
    for (size_t p = text.find(' ', 1); p != std::string_view::npos && p + 1 < text.size();
         p = text.find(' ', p + 1)) {
      if (text[p - 1] == ' ' || text[p + 1] == ' ') continue;
      fn(text.substr(start, p - start));
      start = p + 1;
    }
    fn(text.substr(start));
  }

  void encode_by_words(std::string_view text, std::vector<int32_t>& ids) const {
    if (!words_are_independent_) {
      encode_with_library(text, ids);
      return;
    }
    PieceCache& cache = PieceCache::for_thread(serial_);
    for_each_word(text, [&](std::string_view word) {
      if (cache.lookup(word, ids)) return;
      const size_t first = ids.size();
      encode_with_library(word, ids);
      cache.store(word, std::span<const int32_t>(ids).subspan(first));
    });
  }

  // No piece has "▁" right after another character, so no piece spans a dropped space.
  bool no_piece_spans_a_space() const {
    for (int id = 0; id < processor_.GetPieceSize(); ++id) {
      const std::string& piece = processor_.IdToPiece(id);
      for (size_t pos = piece.find(kMetaspace, 1); pos != std::string::npos;
           pos = piece.find(kMetaspace, pos + 1))
        if (pos < 3 || piece.compare(pos - 3, 3, kMetaspace) != 0) return false;
    }
    return true;
  }

  sentencepiece::SentencePieceProcessor processor_;
  SpecialSplitter specials_;
  uint64_t serial_;
  std::unique_ptr<SentencePieceBpe> native_;
  bool words_are_independent_ = false;
  SentencePieceEngine engine_ = SentencePieceEngine::kLibraryWholeText;
};

}  // namespace

const char* to_string(SentencePieceEngine engine) {
  switch (engine) {
    case SentencePieceEngine::kNativeBpe:
      return "native-bpe";
    case SentencePieceEngine::kLibraryByWords:
      return "library-by-words";
    case SentencePieceEngine::kLibraryWholeText:
      return "library-whole-text";
  }
  return "?";
}

std::optional<SentencePieceEngine> sentencepiece_engine(const Tokenizer& tok) {
  const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(&tok);
  if (!sp) return std::nullopt;
  return sp->engine();
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file,
                                              SentencePieceEngine preferred) {
  std::ifstream in(model_file, std::ios::binary);
  if (!in) throw InputError(model_file.string() + ": cannot open");
  const std::string serialized((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  return std::make_unique<SentencePieceTokenizer>(model_file, serialized, preferred);
}

}  // namespace tpbench::tok
