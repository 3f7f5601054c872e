// --requests-out: one JSON object per line per request record. The coordinator streams the lines
// as records arrive (requests_jsonl_lines + append_to_file); write_requests_jsonl writes a whole
// file atomically.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/report/output_file.hpp"
#include "coordinator/report/report.hpp"

namespace tpbench {

std::string requests_jsonl_lines(const RequestRecord* begin, const RequestRecord* end,
                                 bool record_tokens) {
  using Json = nlohmann::ordered_json;
  std::string text;
  for (const RequestRecord* r = begin; r != end; ++r) {
    Json j{{"id", r->id},
           {"replica", r->replica},
           {"ok", r->ok},
           {"error", r->error},
           {"prompt_tokens", r->prompt_tokens},
           {"output_tokens", r->output_tokens},
           {"scheduled_ns", r->scheduled_ns},
           {"queue_ns", r->queue_ns},
           {"submit_ns", r->submit_ns},
           {"first_token_ns", r->first_token_ns},
           {"finish_ns", r->finish_ns},
           {"token_ns", r->token_ns}};
    if (r->client_output_tokens >= 0) j["client_output_tokens"] = r->client_output_tokens;
    if (r->requested_output_tokens >= 0) j["requested_output_tokens"] = r->requested_output_tokens;
    if (record_tokens) j["token_ids"] = r->token_ids;
    text += j.dump(-1, ' ', false, Json::error_handler_t::replace);
    text += '\n';
  }
  return text;
}

void write_requests_jsonl(const std::string& path, const std::vector<RequestRecord>& records,
                          bool record_tokens) {
  if (path.empty()) return;
  write_file_atomically(path, [&](std::ostream& out) {
    out << requests_jsonl_lines(records.data(), records.data() + records.size(), record_tokens);
  });
}

}  // namespace tpbench
