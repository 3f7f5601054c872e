#include "tokenizer/added_tokens.hpp"

#include <simdjson.h>

#include <charconv>
#include <string>

#include "common/error.hpp"

namespace tpbench::tok {

std::vector<SpecialToken> read_added_tokens(const std::filesystem::path& tokenizer_config) {
  std::error_code ec;
  if (!std::filesystem::exists(tokenizer_config, ec)) return {};
  const std::string where = tokenizer_config.string();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.load(where).get(doc))
    throw InputError(where + ": not valid JSON (" + simdjson::error_message(error) + ")");
  simdjson::dom::object decoder;
  if (doc["added_tokens_decoder"].get(decoder) != simdjson::SUCCESS) return {};
  std::vector<SpecialToken> tokens;
  for (auto [key, entry] : decoder) {
    const std::string id_text(key);
    SpecialToken token;
    const auto [end, parse_error] =
        std::from_chars(id_text.data(), id_text.data() + id_text.size(), token.id);
    std::string_view content;
    if (parse_error != std::errc() || end != id_text.data() + id_text.size() || token.id < 0 ||
        entry["content"].get(content) != simdjson::SUCCESS)
      throw InputError(where + ": added_tokens_decoder[\"" + id_text +
                       "\"] needs a numeric id and a string \"content\"");
    token.content = std::string(content);
    bool flag = false;
    if (entry["lstrip"].get(flag) == simdjson::SUCCESS) token.lstrip = flag;
    if (entry["rstrip"].get(flag) == simdjson::SUCCESS) token.rstrip = flag;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace tpbench::tok
