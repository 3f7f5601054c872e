#pragma once
// The plain chat template (no Jinja): each message as "ROLE: CONTENT\n", then "assistant: ",
// encoded with the tokenizer's BOS in front. A content given as a list of parts (the OpenAI
// multi-part form) is the concatenation of its "text" parts.
//   [{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]
//   -> "system: Be brief.\nuser: Hi\nassistant: "
#include <string>
#include <vector>

namespace tpbench::serve {

struct ChatMessage {
  std::string role;
  std::string content;
};

std::string apply_chat_template(const std::vector<ChatMessage>& messages);

}  // namespace tpbench::serve
