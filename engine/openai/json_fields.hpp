#pragma once
// Reading the fields the streaming and the whole-body decoders share, from a simdjson DOM.
// Each reader returns an empty string when the field is absent or well formed, else one line
// naming the field and what is wrong with it.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/openai/openai_types.hpp"

namespace tpbench::openai::json {

using simdjson::dom::element;
using simdjson::dom::object;

// The server's message when `root` is an error body: {"error": {"message", "type", "code"}},
// {"error": "text"} or {"object": "error", "message", ...} (vLLM before 0.9, LMDeploy). The
// message carries the type and code when given: "no such model (type NotFoundError, code 404)".
std::optional<std::string> server_error(const object& root);

// `usage` when present and not null.
std::string read_usage(const object& root, std::optional<Usage>& usage);

// `key` as a string; null or absent leave `text` untouched.
std::string read_optional_string(const object& parent, std::string_view key, std::string_view where,
                                 std::string& text);

// An optional list of token ids under `key` (vLLM's "token_ids", LMDeploy's "gen_tokens"):
// appended to `ids`, `found` set when the list is there (even empty).
std::string read_token_ids(const object& parent, std::string_view key, std::string_view where,
                           std::vector<int32_t>& ids, bool& found);

// Up to max_bytes of `text` for an error message, with "..." when cut.
std::string excerpt(std::string_view text, size_t max_bytes = 120);

}  // namespace tpbench::openai::json
