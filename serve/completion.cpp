#include "serve/completion.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace tpbench::serve {
namespace {

using nlohmann::json;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json usage_json(int32_t prompt, int32_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

}  // namespace

std::string sse_frame(const std::string& json_text) {
  return "data: " + json_text + "\n\n";
}

std::string sse_done() {
  return "data: [DONE]\n\n";
}

std::string sse_error(const ApiError& error) {
  return sse_frame(error.body()) + sse_done();
}

Completion::Completion(ResponseIdentity identity, const ApiRequest& request,
                       std::vector<int32_t> prompt, int32_t max_tokens,
                       std::vector<int32_t> stop_token_ids, const Tokenizer& tokenizer)
    : identity_(std::move(identity)),
      chat_(request.endpoint == openai::Endpoint::kChatCompletions),
      stream_(request.stream),
      include_usage_(request.include_usage),
      return_token_ids_(request.return_token_ids),
      stop_at_eos_(!request.ignore_eos),
      min_tokens_(request.min_tokens),
      max_tokens_(max_tokens),
      stop_token_ids_(std::move(stop_token_ids)),
      prompt_(std::move(prompt)),
      text_(tokenizer, prompt_) {}

std::string Completion::chunk(const std::string& text, const std::vector<int32_t>& ids,
                              bool with_prompt, const std::string& finish_reason,
                              bool role_only) const {
  json choice = {{"index", 0}};
  if (chat_) {
    choice["delta"] =
        role_only ? json{{"role", "assistant"}, {"content", ""}} : json{{"content", text}};
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason.empty() ? json() : json(finish_reason);
  if (return_token_ids_) {
    choice["token_ids"] = ids;
    if (with_prompt) choice["prompt_token_ids"] = prompt_;
  }
  json body = {{"id", identity_.id},
               {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
               {"created", identity_.created},
               {"model", identity_.model},
               {"choices", json::array({std::move(choice)})}};
  if (include_usage_) body["usage"] = nullptr;
  return sse_frame(dump(body));
}

std::string Completion::opening_frames() {
  if (!stream_ || !chat_) return "";
  prompt_ids_sent_ = true;
  return chunk("", {}, true, "", true);
}

std::string Completion::add_token(int32_t token, bool last) {
  if (finished()) return "";
  generated_.push_back(token);
  const int32_t generated = static_cast<int32_t>(generated_.size());
  const bool is_stop =
      stop_at_eos_ && generated >= min_tokens_ &&
      std::find(stop_token_ids_.begin(), stop_token_ids_.end(), token) != stop_token_ids_.end();
  std::string delta = is_stop ? "" : text_.push(token);  // the stop id adds no text
  if (is_stop) {
    finish_reason_ = "stop";
  } else if (last || generated >= max_tokens_) {
    finish_reason_ = "length";
  }
  if (finished()) delta += text_.finish();
  full_text_ += delta;
  if (!stream_) return "";
  const bool with_prompt = !prompt_ids_sent_;
  prompt_ids_sent_ = true;
  return chunk(delta, {token}, with_prompt, finish_reason_, false);
}

std::string Completion::closing_frames() const {
  std::string frames;
  if (include_usage_) {
    json body = {{"id", identity_.id},
                 {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
                 {"created", identity_.created},
                 {"model", identity_.model},
                 {"choices", json::array()},
                 {"usage", usage_json(prompt_tokens(), static_cast<int32_t>(generated().size()))}};
    frames += sse_frame(dump(body));
  }
  return frames + sse_done();
}

std::string Completion::response_body() const {
  json choice = {{"index", 0}};
  if (chat_)
    choice["message"] = {{"role", "assistant"}, {"content", full_text_}};
  else
    choice["text"] = full_text_;
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason_.empty() ? json() : json(finish_reason_);
  if (return_token_ids_) {
    choice["token_ids"] = generated();
    choice["prompt_token_ids"] = prompt_;
  }
  json body = {{"id", identity_.id},
               {"object", chat_ ? "chat.completion" : "text_completion"},
               {"created", identity_.created},
               {"model", identity_.model},
               {"choices", json::array({std::move(choice)})},
               {"usage", usage_json(prompt_tokens(), static_cast<int32_t>(generated().size()))}};
  return dump(body);
}

}  // namespace tpbench::serve
