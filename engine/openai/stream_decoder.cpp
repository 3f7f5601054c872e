#include "engine/openai/stream_decoder.hpp"

#include <simdjson.h>

#include "engine/openai/json_fields.hpp"

namespace tpbench::openai {
namespace {

// One parser per thread: the client decodes each event at once and keeps only the results, so
// thousands of streams share one parser's buffers.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool is_done_sentinel(std::string_view data) {
  while (!data.empty() && (data.front() == ' ' || data.front() == '\t')) data.remove_prefix(1);
  while (!data.empty() && (data.back() == ' ' || data.back() == '\t')) data.remove_suffix(1);
  return data == "[DONE]";
}

bool is_blank(std::string_view data) {
  return data.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

std::string StreamDecoder::where() const {
  return "event " + std::to_string(events_);
}

StreamChunk StreamDecoder::decode(const SseEvent& event) {
  StreamChunk chunk;
  if (done_ || failed_) return chunk;
  ++events_;
  if (event.type == "error") {
    chunk.error = where() + ": the server sent an error event: " + json::excerpt(event.data);
  } else if (event.type != "message" || is_blank(event.data)) {
    return chunk;  // a keep-alive, or an event type OpenAI streams do not use
  } else if (is_done_sentinel(event.data)) {
    chunk.finished = true;
    done_ = true;
    return chunk;
  } else {
    decode_json(event, chunk);
  }
  if (chunk.failed()) {
    chunk.has_content = false;
    failed_ = true;
    return chunk;
  }
  if (chunk.usage) last_usage_ = chunk.usage;
  if (chunk.has_content) ++content_chunks_;
  return chunk;
}

void StreamDecoder::decode_json(const SseEvent& event, StreamChunk& chunk) {
  const std::string tail = event.terminated ? "" : " (cut off at the end of the stream)";
  simdjson::dom::element root;
  if (auto error = thread_parser().parse(event.data).get(root)) {
    chunk.error = where() + tail + ": malformed JSON (" + simdjson::error_message(error) +
                  "): " + json::excerpt(event.data);
    return;
  }
  simdjson::dom::object fields;
  if (root.get(fields)) {
    chunk.error = where() + ": not a JSON object: " + json::excerpt(event.data);
    return;
  }
  if (auto message = json::server_error(fields)) {
    chunk.error = where() + ": the server reported an error in the stream: " + *message;
    return;
  }
  auto fail = [&](const std::string& problem) {
    if (problem.empty()) return false;
    chunk.error = where() + ": " + problem;
    return true;
  };
  if (fail(json::read_usage(fields, chunk.usage))) return;

  simdjson::dom::element choices_value;
  if (fields["choices"].get(choices_value) || choices_value.is_null()) return;
  simdjson::dom::array choices;
  if (choices_value.get(choices)) {
    fail("\"choices\" is not a list");
    return;
  }
  const bool chat = endpoint_ == Endpoint::kChatCompletions;
  for (simdjson::dom::element choice_value : choices) {
    simdjson::dom::object choice;
    if (choice_value.get(choice)) {
      fail("a choice is not an object");
      return;
    }
    if (chat) {
      simdjson::dom::element delta_value;
      if (!choice["delta"].get(delta_value) && !delta_value.is_null()) {
        simdjson::dom::object delta;
        if (delta_value.get(delta)) {
          fail("\"choices[].delta\" is not an object");
          return;
        }
        if (fail(json::read_optional_string(delta, "content", "delta.content",
                                            chunk.content_text)) ||
            fail(json::read_optional_string(delta, "reasoning_content", "delta.reasoning_content",
                                            chunk.reasoning_text)) ||
            fail(json::read_optional_string(delta, "reasoning", "delta.reasoning",
                                            chunk.reasoning_text)) ||
            fail(json::read_token_ids(delta, "gen_tokens", "delta.gen_tokens", chunk.token_ids,
                                      chunk.has_token_ids))) {
          return;
        }
      }
    } else if (fail(json::read_optional_string(choice, "text", "choices[].text",
                                               chunk.content_text))) {
      return;
    }
    if (fail(json::read_token_ids(choice, "token_ids", "choices[].token_ids", chunk.token_ids,
                                  chunk.has_token_ids)) ||
        fail(json::read_token_ids(choice, "gen_tokens", "choices[].gen_tokens", chunk.token_ids,
                                  chunk.has_token_ids))) {
      return;
    }
    std::string finish_reason;
    if (fail(json::read_optional_string(choice, "finish_reason", "choices[].finish_reason",
                                        finish_reason))) {
      return;
    }
    if (!finish_reason.empty()) {
      if (finish_reason == "error" || finish_reason == "abort") {
        fail("the server ended the request with finish_reason \"" + finish_reason + "\"");
        return;
      }
      chunk.finish_reason = finish_reason;
    }
  }
  chunk.has_content =
      !chunk.content_text.empty() || !chunk.reasoning_text.empty() || !chunk.token_ids.empty();
}

std::optional<std::string> StreamDecoder::end_of_stream() const {
  if (done_ || failed_) return std::nullopt;
  return "the stream ended without \"data: [DONE]\" after " + std::to_string(events_) + " events" +
         (events_ == 0 ? " (the server sent no event)" : "");
}

}  // namespace tpbench::openai
