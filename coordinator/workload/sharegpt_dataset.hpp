#pragma once
// ShareGPT JSON (an array of {"conversations": [{"from", "value"}, ...], ...} records), reduced
// to what sampling needs: each record's turn count and its first two turns' text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/workload/text_arena.hpp"

namespace tpbench {

struct ShareGptConversation {
  uint32_t record = 0;          // index in the file's top-level array
  uint32_t turns = 0;           // len(conversations)
  std::string_view prompt;      // conversations[0].value (roles are not checked, as in LMDeploy)
  std::string_view completion;  // conversations[1].value
};

struct ShareGptDataset {
  std::string path;
  size_t records = 0;                               // records in the file
  std::vector<ShareGptConversation> conversations;  // the records with >= 2 turns, in file order
  TextArena text;                                   // owns the bytes the views point at
};

// Validates every record (object; "conversations" a list of objects, each with a string "from"
// and a string "value"); other keys are ignored. Throws InputError with one line naming the
// file, the record index and the field.
ShareGptDataset load_sharegpt(const std::string& path);

// JSON string-body unescaping (the bytes between the quotes), as CPython's json does, except that
// an unpaired UTF-16 surrogate escape becomes U+FFFD (CPython keeps it in a str that no tokenizer
// can then encode). Writes at most raw.size() bytes to out; returns the count; false on a bad
// escape.
bool unescape_json_string(std::string_view raw, char* out, size_t* out_len);

}  // namespace tpbench
