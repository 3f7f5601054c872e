#include "serve/api_request.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace tpbench::serve {
namespace {

using nlohmann::json;

// A field's error ends the parse: thrown and caught once in parse_api_request.
struct FieldError {
  ApiError error;
};

[[noreturn]] void fail(const std::string& field, const std::string& message) {
  throw FieldError{bad_request("'" + field + "': " + message, field)};
}

const json* find(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> integer_of(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
      return static_cast<int64_t>(v);
  }
  return std::nullopt;
}

std::optional<int64_t> read_integer(const json& body, const char* field, int64_t lo, int64_t hi) {
  const json* value = find(body, field);
  if (value == nullptr) return std::nullopt;
  const std::optional<int64_t> v = integer_of(*value);
  if (!v) fail(field, "expected an integer, got " + value->dump());
  if (*v < lo || *v > hi)
    fail(field, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                    std::to_string(*v));
  return v;
}

std::optional<double> read_number(const json& body, const char* field) {
  const json* value = find(body, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) fail(field, "expected a number, got " + value->dump());
  return value->get<double>();
}

std::optional<bool> read_bool(const json& body, const char* field) {
  const json* value = find(body, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) fail(field, "expected true or false, got " + value->dump());
  return value->get<bool>();
}

void read_prompt(const json& body, ApiRequest& r) {
  const json* prompt = find(body, "prompt");
  if (prompt == nullptr) fail("prompt", "required");
  if (prompt->is_string()) {
    r.prompt_text = prompt->get<std::string>();
    return;
  }
  if (!prompt->is_array() || prompt->empty())
    fail("prompt", "expected a string or a non-empty array of token ids");
  r.prompt_is_ids = true;
  for (const json& id : *prompt) {
    const std::optional<int64_t> v = integer_of(id);
    if (!v) {
      if (id.is_string() || id.is_array())
        fail("prompt", "a list of prompts is not supported: send one request per prompt");
      fail("prompt", "expected token ids (integers), got " + id.dump());
    }
    if (*v < 0 || *v > std::numeric_limits<int32_t>::max())
      fail("prompt", "token id " + std::to_string(*v) + " out of range");
    r.prompt_ids.push_back(static_cast<int32_t>(*v));
  }
}

std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) fail("messages", "content must be a string or a list of parts");
  std::string text;
  for (const json& part : content) {
    const json* type = part.is_object() ? find(part, "type") : nullptr;
    const json* part_text = part.is_object() ? find(part, "text") : nullptr;
    if (type == nullptr || *type != "text" || part_text == nullptr || !part_text->is_string())
      fail("messages", "only {\"type\": \"text\", \"text\": ...} content parts are supported");
    text += part_text->get<std::string>();
  }
  return text;
}

void read_messages(const json& body, ApiRequest& r) {
  const json* messages = find(body, "messages");
  if (messages == nullptr) fail("messages", "required");
  if (!messages->is_array() || messages->empty())
    fail("messages", "expected a non-empty array of {\"role\", \"content\"}");
  for (const json& m : *messages) {
    const json* role = m.is_object() ? find(m, "role") : nullptr;
    if (role == nullptr || !role->is_string()) fail("messages", "each message needs a role string");
    const json* content = find(m, "content");
    r.messages.push_back({role->get<std::string>(), content ? content_text(*content) : ""});
  }
}

ApiRequest read_request(const json& body, openai::Endpoint endpoint) {
  ApiRequest r;
  r.endpoint = endpoint;
  if (const json* model = find(body, "model")) {
    if (!model->is_string()) fail("model", "expected a string");
    r.model = model->get<std::string>();
  }
  const bool chat = endpoint == openai::Endpoint::kChatCompletions;
  if (chat)
    read_messages(body, r);
  else
    read_prompt(body, r);

  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  if (auto v = read_integer(body, "max_tokens", 1, kMaxInt))
    r.max_tokens = static_cast<int32_t>(*v);
  if (chat) {
    if (auto v = read_integer(body, "max_completion_tokens", 1, kMaxInt))
      r.max_tokens = static_cast<int32_t>(*v);
  }
  if (auto v = read_integer(body, "min_tokens", 0, kMaxInt))
    r.min_tokens = static_cast<int32_t>(*v);
  if (r.max_tokens && r.min_tokens > *r.max_tokens)
    fail("min_tokens", "must not exceed max_tokens (" + std::to_string(*r.max_tokens) + ")");
  if (auto v = read_bool(body, "ignore_eos")) r.ignore_eos = *v;
  if (auto v = read_number(body, "temperature")) {
    if (*v < 0 || *v > 2) fail("temperature", "must be in [0, 2]");
    r.temperature = *v;
  }
  if (auto v = read_number(body, "top_p")) {
    if (!(*v > 0 && *v <= 1)) fail("top_p", "must be in (0, 1]");
    r.top_p = *v;
  }
  if (auto v = read_integer(body, "top_k", -1, kMaxInt))
    r.top_k = *v < 0 ? 0 : static_cast<int32_t>(*v);
  r.seed = read_integer(body, "seed", std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max());
  if (auto n = read_integer(body, "n", 1, kMaxInt); n && *n != 1)
    fail("n", "only n = 1 is supported");
  if (auto v = read_bool(body, "stream")) r.stream = *v;
  if (const json* options = find(body, "stream_options")) {
    if (!r.stream) fail("stream_options", "only allowed when stream is true");
    if (!options->is_object()) fail("stream_options", "expected an object");
    if (auto v = read_bool(*options, "include_usage")) r.include_usage = *v;
  }
  if (auto v = read_bool(body, "return_token_ids")) r.return_token_ids = *v;
  return r;
}

}  // namespace

std::variant<ApiRequest, ApiError> parse_api_request(std::string_view text,
                                                     openai::Endpoint endpoint) {
  json body;
  try {
    body = json::parse(text);
  } catch (const json::parse_error& e) {
    return bad_request(std::string("the body is not valid JSON: ") + e.what());
  }
  if (!body.is_object()) return bad_request("the body must be a JSON object");
  try {
    return read_request(body, endpoint);
  } catch (const FieldError& e) {
    return e.error;
  } catch (const json::exception& e) {
    return bad_request(std::string("malformed request: ") + e.what());
  }
}

}  // namespace tpbench::serve
