// A SentencePiece `tokenizer.model` (protobuf; Llama 2, Mistral) through libsentencepiece.
// As HF's Llama tokenizers do, the text of control tokens ("<s>", "</s>") and "<unk>" in the
// input becomes that token, and each stretch of text between them is encoded on its own.
//
// Speed: libsentencepiece merges a whole text at once (~1.5 MB/s). When no piece has "▁"
// right after another character (Llama's vocabularies), no merge crosses a single space
// between two non-spaces, so such a text is encoded word by word: "a b" as Encode("a") +
// Encode("b"), the dummy-prefix "▁" of "b" standing for the space, each word's ids cached
// per thread. Load checks that on probes; otherwise whole texts go to the library.
#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>

#include "common/error.hpp"
#include "engine/tokenizer/piece_cache.hpp"
#include "engine/tokenizer/special_splitter.hpp"
#include "engine/tokenizer/tokenizers_internal.hpp"

namespace tpbench::tok {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& file, const std::string& serialized,
                         bool by_words)
      : serial_(PieceCache::next_serial()) {
    const auto status = processor_.LoadFromSerializedProto(serialized);
    if (!status.ok())
      throw InputError(file.string() + ": not a SentencePiece model (" + status.ToString() + ")");
    if (processor_.GetPieceSize() <= 0)
      throw InputError(file.string() + ": SentencePiece model has no pieces");
    for (int id = 0; id < processor_.GetPieceSize(); ++id)
      if (processor_.IsControl(id) || processor_.IsUnknown(id))
        specials_.add(SpecialToken{processor_.IdToPiece(id), id});
    by_words_ = by_words && words_are_independent();
  }

  bool encodes_by_words() const { return by_words_; }

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    if (add_bos && bos_id() >= 0) ids.push_back(bos_id());
    specials_.split(
        text,
        [&](std::string_view segment) {
          if (by_words_)
            encode_by_words(segment, ids);
          else
            encode_with_library(segment, ids);
        },
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
    PieceCache& cache = PieceCache::for_thread(serial_);
    for_each_word(text, [&](std::string_view word) {
      if (cache.lookup(word, ids)) return;
      const size_t first = ids.size();
      encode_with_library(word, ids);
      cache.store(word, std::span<const int32_t>(ids).subspan(first));
    });
  }

  bool words_are_independent() const {
    static constexpr std::string_view kMetaspace = "\xE2\x96\x81";
    for (int id = 0; id < processor_.GetPieceSize(); ++id) {
      const std::string piece = processor_.IdToPiece(id);
      for (size_t pos = piece.find(kMetaspace, 1); pos != std::string::npos;
           pos = piece.find(kMetaspace, pos + 1))
        if (pos < 3 || piece.compare(pos - 3, 3, kMetaspace) != 0) return false;
    }
    // The dummy prefix must stand in for the dropped space, and spaces must be kept.
    for (std::string_view probe : {"Hello world", "a b  c   d \n e\tf ", " x\ny z", "1 2 3"}) {
      std::vector<int32_t> whole, words;
      encode_with_library(probe, whole);
      for_each_word(probe, [&](std::string_view w) { encode_with_library(w, words); });
      if (whole != words) return false;
    }
    return true;
  }

  sentencepiece::SentencePieceProcessor processor_;
  SpecialSplitter specials_;
  uint64_t serial_;
  bool by_words_ = false;
};

}  // namespace

bool sentencepiece_encodes_by_words(const Tokenizer& tok) {
  const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(&tok);
  return sp && sp->encodes_by_words();
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file,
                                              bool by_words) {
  std::ifstream in(model_file, std::ios::binary);
  if (!in) throw InputError(model_file.string() + ": cannot open");
  const std::string serialized((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  return std::make_unique<SentencePieceTokenizer>(model_file, serialized, by_words);
}

}  // namespace tpbench::tok
