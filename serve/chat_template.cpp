#include "serve/chat_template.hpp"

namespace tpbench::serve {

std::string apply_chat_template(const std::vector<ChatMessage>& messages) {
  std::string prompt;
  for (const ChatMessage& m : messages) prompt += m.role + ": " + m.content + "\n";
  return prompt + "assistant: ";
}

}  // namespace tpbench::serve
