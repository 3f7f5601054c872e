#include "engine/openai/json_fields.hpp"

#include <limits>

namespace tpbench::openai::json {
namespace {

std::string join_type_and_code(std::string message, const object& error) {
  std::string detail;
  std::string_view type;
  if (!error["type"].get(type) && !type.empty()) detail = "type " + std::string(type);
  element code;
  if (!error["code"].get(code) && !code.is_null()) {
    std::string code_text;
    std::string_view code_string;
    int64_t code_number;
    if (!code.get(code_string)) {
      code_text = std::string(code_string);
    } else if (!code.get(code_number)) {
      code_text = std::to_string(code_number);
    }
    if (!code_text.empty()) detail += (detail.empty() ? "code " : ", code ") + code_text;
  }
  if (message.empty()) message = "(no message)";
  return detail.empty() ? message : message + " (" + detail + ")";
}

}  // namespace

std::optional<std::string> server_error(const object& root) {
  element error;
  if (!root["error"].get(error) && !error.is_null()) {
    std::string_view text;
    if (!error.get(text)) return std::string(text.empty() ? "(no message)" : text);
    object error_object;
    if (!error.get(error_object)) {
      std::string_view message;
      if (error_object["message"].get(message)) message = {};
      return join_type_and_code(std::string(message), error_object);
    }
    return "an error of unexpected shape: " + excerpt(simdjson::minify(error));
  }
  std::string_view kind;
  if (!root["object"].get(kind) && kind == "error") {
    std::string_view message;
    if (root["message"].get(message)) message = {};
    return join_type_and_code(std::string(message), root);
  }
  return std::nullopt;
}

std::string read_usage(const object& root, std::optional<Usage>& usage) {
  element value;
  if (root["usage"].get(value) || value.is_null()) return {};
  object fields;
  if (value.get(fields)) return "\"usage\" is not an object";
  Usage counts;
  for (auto [key, target] : {std::pair{"prompt_tokens", &counts.prompt_tokens},
                             std::pair{"completion_tokens", &counts.completion_tokens}}) {
    element count;
    if (fields[key].get(count) || count.is_null()) continue;
    int64_t number;
    if (count.get(number) || number < 0) {
      return "\"usage." + std::string(key) + "\" is not a non-negative integer";
    }
    *target = number;
  }
  usage = counts;
  return {};
}

std::string read_optional_string(const object& parent, std::string_view key, std::string_view where,
                                 std::string& text) {
  element value;
  if (parent[key].get(value) || value.is_null()) return {};
  std::string_view view;
  if (value.get(view)) return "\"" + std::string(where) + "\" is not a string";
  text.append(view);
  return {};
}

std::string read_token_ids(const object& parent, std::string_view key, std::string_view where,
                           std::vector<int32_t>& ids, bool& found) {
  element value;
  if (parent[key].get(value) || value.is_null()) return {};
  simdjson::dom::array list;
  if (value.get(list)) return "\"" + std::string(where) + "\" is not a list";
  found = true;
  for (element item : list) {
    int64_t id;
    if (item.get(id) || id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return "\"" + std::string(where) + "\" holds " + excerpt(simdjson::minify(item), 24) +
             ", not a token id";
    }
    ids.push_back(static_cast<int32_t>(id));
  }
  return {};
}

std::string excerpt(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return std::string(text.substr(0, max_bytes)) + "...";
}

}  // namespace tpbench::openai::json
