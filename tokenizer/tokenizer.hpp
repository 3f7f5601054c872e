#pragma once
// Text <-> token ids, as HF's tokenizer.encode / decode do for the model's tokenizer files.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tpbench {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // add_bos: prepend the begin-of-sequence id, as HF's encode() does by default for Llama.
  // Must be safe to call from several threads at once.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos) const = 0;
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  virtual int32_t bos_id() const = 0;  // -1 when the tokenizer has none
  virtual int32_t eos_id() const = 0;
  virtual int32_t vocab_size() const = 0;
  virtual std::string kind() const = 0;  // "sentencepiece", "tiktoken-bpe", "hf-bpe-bytelevel", ...
};

// Picks the tokenizer by the files in model_dir, in HF's order: tokenizer.json first, then
// tokenizer.model (SentencePiece protobuf or tiktoken ranks, told apart by content).
// Throws InputError naming the directory or file when none is usable.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

// Encodes many texts on `threads` threads (0 = hardware concurrency); result[i] is texts[i].
std::vector<std::vector<int32_t>> encode_parallel(const Tokenizer& tok,
                                                  const std::vector<std::string_view>& texts,
                                                  bool add_bos, int threads = 0);

}  // namespace tpbench
