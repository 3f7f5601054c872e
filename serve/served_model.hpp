#pragma once
// What the front end knows about the model it serves: its name, its tokenizer, its context
// and vocabulary, and how an ApiRequest becomes an EngineRequest (prompt tokens, limits,
// sampling), with every check a client can fail answered as a 4xx ApiError.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/engine.hpp"
#include "serve/api_request.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tpbench::serve {

struct ServedModel {
  std::string name;         // --served-model-name
  int64_t created = 0;      // unix seconds, /v1/models
  int32_t max_context = 0;  // config.json max_position_embeddings; 0 = unknown
  int32_t vocab_size = 0;   // 0 = unknown
  // The ids that end a request unless it asks for ignore_eos: config.json's eos_token_id (an id
  // or a list) and generation_config.json's, when either file gives one; else the tokenizer's EOS.
  std::vector<int32_t> eos_token_ids;
  std::unique_ptr<Tokenizer> tokenizer;
};

// Reads model_dir's config.json and tokenizer. Throws InputError naming the file.
ServedModel load_served_model(const std::string& model_dir, std::string name);

struct PreparedRequest {
  std::vector<int32_t> prompt;
  int32_t max_tokens = 0;
  int32_t min_tokens = 0;
  std::vector<int32_t> stop_token_ids;  // the model's EOS ids; none with ignore_eos
  SamplingParams sampling;
};

// The prompt (chat: through the plain template; text: encoded with BOS), max_tokens (default:
// 16 for completions, the rest of the context for chat), min_tokens, the stop ids and sampling.
// Errors: unknown model (404), token ids outside the vocabulary, an empty prompt, prompt +
// max_tokens over the context (400).
std::variant<PreparedRequest, ApiError> prepare_request(const ApiRequest& request,
                                                        const ServedModel& model);

}  // namespace tpbench::serve
