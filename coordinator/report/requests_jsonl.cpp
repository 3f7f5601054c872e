// --requests-out: one JSON object per line per request record, written atomically.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/report/output_file.hpp"
#include "coordinator/report/report.hpp"

namespace tpbench {

void write_requests_jsonl(const std::string& path, const std::vector<RequestRecord>& records,
                          bool record_tokens) {
  if (path.empty()) return;
  using Json = nlohmann::ordered_json;
  write_file_atomically(path, [&](std::ostream& out) {
    for (const RequestRecord& r : records) {
      Json j{{"id", r.id},
             {"replica", r.replica},
             {"ok", r.ok},
             {"error", r.error},
             {"prompt_tokens", r.prompt_tokens},
             {"output_tokens", r.output_tokens},
             {"submit_ns", r.submit_ns},
             {"first_token_ns", r.first_token_ns},
             {"finish_ns", r.finish_ns},
             {"token_ns", r.token_ns}};
      if (record_tokens) j["token_ids"] = r.token_ids;
      out << j.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    }
  });
}

}  // namespace tpbench
