#include "engine/openai/request_body.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/error.hpp"

namespace tpbench::openai {
namespace {

using Json = nlohmann::ordered_json;

Json parse_extra_body(const std::string& text) {
  Json extra;
  try {
    extra = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InputError("--extra-body: not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!extra.is_object()) throw InputError("--extra-body: must be a JSON object ({...})");
  return extra;
}

// Removes "a.b.c" from `body`; a path that is not there is left alone.
void remove_path(Json& body, std::string_view path) {
  Json* node = &body;
  while (true) {
    const size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!node->is_object()) return;
    if (dot == std::string_view::npos) {
      node->erase(key);
      return;
    }
    auto child = node->find(key);
    if (child == node->end()) return;
    node = &*child;
    path.remove_prefix(dot + 1);
  }
}

}  // namespace

void check_extra_body(const std::string& extra_body_json) {
  if (!extra_body_json.empty()) parse_extra_body(extra_body_json);
}

std::string build_request_body(const RequestSpec& spec) {
  const bool chat = spec.endpoint == Endpoint::kChatCompletions;
  if (spec.max_tokens < 1) {
    throw InputError("request: max_tokens must be at least 1 (got " +
                     std::to_string(spec.max_tokens) + ")");
  }
  Json body = Json::object();
  body["model"] = spec.model;
  if (chat) {
    if (spec.prompt_as_ids) {
      throw InputError("--prompt-format ids: the chat endpoint takes text; use /v1/completions");
    }
    body["messages"] = Json::array({Json{{"role", "user"}, {"content", spec.prompt_text}}});
    body["max_completion_tokens"] = spec.max_tokens;
  } else {
    if (spec.prompt_as_ids) {
      body["prompt"] = spec.prompt_ids;
    } else {
      body["prompt"] = spec.prompt_text;
    }
    body["max_tokens"] = spec.max_tokens;
  }
  if (spec.ignore_eos) body["ignore_eos"] = true;
  if (spec.min_tokens) body["min_tokens"] = *spec.min_tokens;
  if (spec.temperature) body["temperature"] = *spec.temperature;
  if (spec.top_p) body["top_p"] = *spec.top_p;
  if (spec.top_k) body["top_k"] = *spec.top_k;
  body["stream"] = spec.stream;
  if (spec.stream && spec.include_usage) body["stream_options"] = Json{{"include_usage", true}};
  if (!spec.extra_body_json.empty()) body.merge_patch(parse_extra_body(spec.extra_body_json));
  for (const std::string& field : spec.omit_fields) remove_path(body, field);
  return body.dump();
}

}  // namespace tpbench::openai
