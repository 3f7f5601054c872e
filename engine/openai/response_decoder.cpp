#include "engine/openai/response_decoder.hpp"

#include <simdjson.h>

#include "engine/openai/json_fields.hpp"

namespace tpbench::openai {
namespace {

// Whole bodies are decoded once per request, off the streaming path: a parser of their own.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string one_line(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  text = first == std::string_view::npos ? std::string_view{} : text.substr(first);
  text = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  std::string line = json::excerpt(text, 200);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return line;
}

}  // namespace

Response decode_response(Endpoint endpoint, std::string_view body) {
  Response response;
  simdjson::dom::element root;
  if (auto error = thread_parser().parse(body.data(), body.size()).get(root)) {
    response.error = std::string("the response is not valid JSON (") +
                     simdjson::error_message(error) + "): " + one_line(body);
    return response;
  }
  simdjson::dom::object fields;
  if (root.get(fields)) {
    response.error = "the response is not a JSON object: " + one_line(body);
    return response;
  }
  if (auto message = json::server_error(fields)) {
    response.error = "the server reported an error: " + *message;
    return response;
  }
  auto fail = [&](const std::string& problem) {
    if (problem.empty()) return false;
    response.error = "response: " + problem;
    return true;
  };
  if (fail(json::read_usage(fields, response.usage))) return response;

  simdjson::dom::array choices;
  if (fields["choices"].get(choices)) {
    fail("\"choices\" is missing or not a list");
    return response;
  }
  simdjson::dom::object choice;
  if (choices.size() == 0 || choices.at(0).get(choice)) {
    fail("\"choices\" holds no choice object");
    return response;
  }
  if (endpoint == Endpoint::kChatCompletions) {
    simdjson::dom::object message;
    if (choice["message"].get(message)) {
      fail("\"choices[0].message\" is missing or not an object");
      return response;
    }
    if (fail(json::read_optional_string(message, "content", "message.content",
                                        response.content_text)) ||
        fail(json::read_optional_string(message, "reasoning_content", "message.reasoning_content",
                                        response.reasoning_text)) ||
        fail(json::read_optional_string(message, "reasoning", "message.reasoning",
                                        response.reasoning_text)) ||
        fail(json::read_token_ids(message, "gen_tokens", "message.gen_tokens", response.token_ids,
                                  response.has_token_ids))) {
      return response;
    }
  } else {
    simdjson::dom::element text;
    if (choice["text"].get(text)) {
      fail("\"choices[0].text\" is missing");
      return response;
    }
    if (fail(
            json::read_optional_string(choice, "text", "choices[0].text", response.content_text))) {
      return response;
    }
  }
  if (fail(json::read_token_ids(choice, "token_ids", "choices[0].token_ids", response.token_ids,
                                response.has_token_ids)) ||
      fail(json::read_token_ids(choice, "gen_tokens", "choices[0].gen_tokens", response.token_ids,
                                response.has_token_ids)) ||
      fail(json::read_optional_string(choice, "finish_reason", "choices[0].finish_reason",
                                      response.finish_reason))) {
    return response;
  }
  if (response.finish_reason == "error" || response.finish_reason == "abort") {
    fail("the server ended the request with finish_reason \"" + response.finish_reason + "\"");
  }
  return response;
}

std::string describe_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return "(empty body)";
  simdjson::dom::object fields;
  if (thread_parser().parse(body.data(), body.size()).get(fields)) return one_line(body);
  if (auto message = json::server_error(fields)) return one_line(*message);
  simdjson::dom::element detail;
  if (!fields["detail"].get(detail)) {
    std::string_view text;
    if (!detail.get(text)) return one_line(text);
    return one_line(simdjson::minify(detail));
  }
  return one_line(body);
}

std::string describe_error_body(int http_status, std::string_view body) {
  const std::string described = describe_body(body);
  const std::string prefix = "HTTP " + std::to_string(http_status);
  return described == "(empty body)" ? prefix + " " + described : prefix + ": " + described;
}

}  // namespace tpbench::openai
