#pragma once
// HF's decoder chain over token strings (ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace), each step applied to the whole list of tokens in turn, as tokenizers does.
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/hf_json_config.hpp"

namespace tpbench::tok {

class HfDecoderChain {
 public:
  // decoder_missing: tokenizer.json had no decoder, so tokens are joined with spaces.
  HfDecoderChain(std::vector<HfDecoder> steps, bool decoder_missing)
      : steps_(std::move(steps)), join_with_space_(decoder_missing) {}
  std::string decode(const std::vector<std::string_view>& tokens) const;

 private:
  std::vector<HfDecoder> steps_;
  bool join_with_space_;
};

}  // namespace tpbench::tok
