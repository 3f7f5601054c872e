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
#include "tokenizer/tokenizer.hpp"
#include "serve/api_request.hpp"

namespace tpbench::serve {

struct ServedModel {
  std::string name;         // --served-model-name
  int64_t created = 0;      // unix seconds, /v1/models
  int32_t max_context = 0;  // config.json max_position_embeddings; 0 = unknown
  int32_t vocab_size = 0;   // 0 = unknown
  std::unique_ptr<Tokenizer> tokenizer;
};

// Reads model_dir's config.json and tokenizer. Throws InputError naming the file.
ServedModel load_served_model(const std::string& model_dir, std::string name);

struct PreparedRequest {
  std::vector<int32_t> prompt;
  int32_t max_tokens = 0;
  SamplingParams sampling;
};

// The prompt (chat: through the plain template; text: encoded with BOS), max_tokens (default:
// 16 for completions, the rest of the context for chat) and sampling. Errors: unknown model
// (404), token ids outside the vocabulary, an empty prompt, prompt + max_tokens over the
// context (400).
std::variant<PreparedRequest, ApiError> prepare_request(const ApiRequest& request,
                                                        const ServedModel& model);

}  // namespace tpbench::serve
