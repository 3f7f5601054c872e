#include "serve/served_model.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "serve/chat_template.hpp"

namespace tpbench::serve {
namespace {

constexpr int32_t kDefaultCompletionTokens = 16;  // OpenAI's default max_tokens

// MODEL_DIR/file parsed; nullopt when the file is absent; InputError naming it when it is not
// JSON.
std::optional<nlohmann::json> read_model_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": " + e.what());
  }
}

int32_t max_context_of(const std::optional<nlohmann::json>& config) {
  if (!config || !config->is_object()) return 0;
  for (const char* key : {"max_position_embeddings", "seq_length", "max_sequence_length"}) {
    auto it = config->find(key);
    if (it != config->end() && it->is_number_integer() && it->get<int64_t>() > 0)
      return static_cast<int32_t>(std::min<int64_t>(it->get<int64_t>(), INT32_MAX));
  }
  return 0;
}

// The file's eos_token_id (an id or a list of ids), appended to ids; nothing when the file or
// the key is absent or null.
void append_eos_ids(const std::optional<nlohmann::json>& json, const std::filesystem::path& path,
                    std::vector<int32_t>& ids) {
  if (!json || !json->is_object()) return;
  auto it = json->find("eos_token_id");
  if (it == json->end() || it->is_null()) return;
  const nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
  for (const nlohmann::json& id : list) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      throw InputError(path.string() + ": eos_token_id must be a token id or a list of them");
    const auto value = static_cast<int32_t>(id.get<int64_t>());
    if (std::find(ids.begin(), ids.end(), value) == ids.end()) ids.push_back(value);
  }
}

}  // namespace

ServedModel load_served_model(const std::string& model_dir, std::string name) {
  ServedModel m;
  m.name = std::move(name);
  m.created = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  const std::filesystem::path config_path = std::filesystem::path(model_dir) / "config.json";
  const std::filesystem::path generation_path =
      std::filesystem::path(model_dir) / "generation_config.json";
  const std::optional<nlohmann::json> config = read_model_json(config_path);
  m.max_context = max_context_of(config);
  m.vocab_size = read_vocab_size(model_dir).value_or(0);
  m.tokenizer = load_tokenizer(model_dir);
  append_eos_ids(config, config_path, m.eos_token_ids);
  append_eos_ids(read_model_json(generation_path), generation_path, m.eos_token_ids);
  if (m.eos_token_ids.empty() && m.tokenizer->eos_id() >= 0)
    m.eos_token_ids.push_back(m.tokenizer->eos_id());
  const std::string files = model_dir + "/config.json and generation_config.json";
  if (m.eos_token_ids.size() > kMaxStopTokenIds)
    throw InputError(files + ": " + std::to_string(m.eos_token_ids.size()) +
                     " eos_token_id values; the engine takes at most " +
                     std::to_string(kMaxStopTokenIds));
  const int32_t vocab = m.vocab_size > 0 ? m.vocab_size : m.tokenizer->vocab_size();
  for (int32_t id : m.eos_token_ids)
    if (id >= vocab)
      throw InputError(files + ": eos_token_id " + std::to_string(id) +
                       " is outside the vocabulary (" + std::to_string(vocab) + " tokens)");
  return m;
}

std::variant<PreparedRequest, ApiError> prepare_request(const ApiRequest& r,
                                                        const ServedModel& model) {
  if (!r.model.empty() && r.model != model.name)
    return ApiError{404, "The model `" + r.model + "` does not exist.", "model"};
  PreparedRequest p;
  const bool chat = r.endpoint == openai::Endpoint::kChatCompletions;
  if (chat) {
    p.prompt = model.tokenizer->encode(apply_chat_template(r.messages), true);
  } else if (r.prompt_is_ids) {
    p.prompt = r.prompt_ids;
    const int32_t vocab = model.vocab_size > 0 ? model.vocab_size : model.tokenizer->vocab_size();
    for (int32_t id : p.prompt)
      if (id >= vocab)
        return bad_request("'prompt': token id " + std::to_string(id) +
                               " is outside the vocabulary (" + std::to_string(vocab) + " tokens)",
                           "prompt");
  } else {
    p.prompt = model.tokenizer->encode(r.prompt_text, true);
  }
  if (p.prompt.empty()) return bad_request("'prompt': the prompt has no tokens", "prompt");

  const int64_t prompt_len = static_cast<int64_t>(p.prompt.size());
  if (model.max_context > 0 && prompt_len >= model.max_context)
    return bad_request(
        "This model's maximum context length is " + std::to_string(model.max_context) +
            " tokens. However, your prompt has " + std::to_string(prompt_len) + " tokens.",
        chat ? "messages" : "prompt");
  if (r.max_tokens) {
    p.max_tokens = *r.max_tokens;
  } else if (chat && model.max_context > 0) {
    p.max_tokens = static_cast<int32_t>(model.max_context - prompt_len);
  } else {
    p.max_tokens = kDefaultCompletionTokens;
  }
  if (model.max_context > 0 && prompt_len + p.max_tokens > model.max_context)
    return bad_request("This model's maximum context length is " +
                           std::to_string(model.max_context) + " tokens. However, you requested " +
                           std::to_string(prompt_len + p.max_tokens) + " tokens (" +
                           std::to_string(prompt_len) + " in the prompt, " +
                           std::to_string(p.max_tokens) + " for the completion).",
                       chat ? "max_completion_tokens" : "max_tokens");

  if (r.min_tokens > p.max_tokens)
    return bad_request(
        "'min_tokens': must not exceed max_tokens (" + std::to_string(p.max_tokens) + ")",
        "min_tokens");
  p.min_tokens = r.min_tokens;
  if (!r.ignore_eos) p.stop_token_ids = model.eos_token_ids;
  p.sampling.temperature = static_cast<float>(r.temperature);
  p.sampling.top_p = static_cast<float>(r.top_p);
  p.sampling.top_k = r.top_k;
  p.sampling.seed = static_cast<uint64_t>(r.seed.value_or(0));
  return p;
}

}  // namespace tpbench::serve
