#include "engine/openai/openai_types.hpp"

namespace tpbench::openai {

std::string_view endpoint_path(Endpoint endpoint) {
  return endpoint == Endpoint::kChatCompletions ? "/v1/chat/completions" : "/v1/completions";
}

std::optional<Endpoint> endpoint_from_path(std::string_view path) {
  if (path == "/v1/completions") return Endpoint::kCompletions;
  if (path == "/v1/chat/completions") return Endpoint::kChatCompletions;
  return std::nullopt;
}

}  // namespace tpbench::openai
