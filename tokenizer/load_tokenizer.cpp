#include <fstream>

#include "common/error.hpp"
#include "tokenizer/tokenizers_internal.hpp"

namespace tpbench {

namespace {

// tiktoken ranks are text lines "<base64> <rank>"; a SentencePiece model is binary protobuf.
bool looks_like_tiktoken(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open");
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const size_t newline = head.find('\n');
  const std::string first = head.substr(0, newline);
  const size_t space = first.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == first.size()) return false;
  for (size_t i = 0; i < space; ++i) {
    const char c = first[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      return false;
  }
  for (size_t i = space + 1; i < first.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(first[i]))) return false;
  return true;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(model_dir, ec))
    throw InputError(model_dir.string() + ": model directory not found");
  const auto json = model_dir / "tokenizer.json";
  if (std::filesystem::exists(json, ec)) return tok::load_hf_json(json);
  const auto model = model_dir / "tokenizer.model";
  if (std::filesystem::exists(model, ec))
    return looks_like_tiktoken(model) ? tok::load_tiktoken(model) : tok::load_sentencepiece(model);
  throw InputError(model_dir.string() + ": no tokenizer.json or tokenizer.model");
}

}  // namespace tpbench
