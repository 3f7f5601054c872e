#pragma once
// Vocabulary shared by the OpenAI-compatible request builder and response decoders.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tpbench::openai {

enum class Endpoint { kCompletions, kChatCompletions };

// "/v1/completions" or "/v1/chat/completions".
std::string_view endpoint_path(Endpoint endpoint);
// The inverse of endpoint_path; nullopt for any other path.
std::optional<Endpoint> endpoint_from_path(std::string_view path);

// The server's token accounting ("usage"). A count the server sent as null or left out is -1.
struct Usage {
  int64_t prompt_tokens = -1;
  int64_t completion_tokens = -1;

  bool operator==(const Usage&) const = default;
};

}  // namespace tpbench::openai
