#include "engine/openai/chunk_token_count.hpp"

#include <algorithm>
#include <string>

namespace tpbench::openai {
namespace {

constexpr std::string_view kAnchor = "\n";

}  // namespace

ChunkTokenCounter::ChunkTokenCounter(const Tokenizer& tokenizer)
    : tokenizer_(tokenizer),
      anchor_tokens_(static_cast<int64_t>(tokenizer.encode(kAnchor, false).size())) {}

int32_t ChunkTokenCounter::count(std::string_view text) const {
  std::string anchored(kAnchor);
  anchored += text;
  const int64_t tokens = static_cast<int64_t>(tokenizer_.encode(anchored, false).size());
  return static_cast<int32_t>(std::max<int64_t>(tokens - anchor_tokens_, 1));
}

}  // namespace tpbench::openai
