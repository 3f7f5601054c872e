#include "engine/scheduler/step_profile.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/error.hpp"

namespace tpbench {

void write_step_profile(const std::string& path, const std::vector<StepProfileRow>& rows) {
  std::ofstream out(path);
  out << kStepProfileHeader << '\n';
  for (const StepProfileRow& r : rows)
    out << r.shape.tokens << ',' << r.shape.seqs << ',' << r.shape.prefill_tokens << ','
        << r.shape.context_tokens << ',' << r.forward_ns << '\n';
  out.flush();
  if (!out) throw std::runtime_error("--step-profile-out " + path + ": cannot write");
}

std::vector<StepProfileRow> read_step_profiles(const std::string& paths, const std::string& flag) {
  std::vector<StepProfileRow> rows;
  std::stringstream list(paths);
  std::string path;
  while (std::getline(list, path, ',')) {
    std::ifstream in(path);
    if (!in) throw InputError(flag + " " + path + ": cannot open");
    std::string line;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty() || line == kStepProfileHeader) continue;
      StepProfileRow r;
      char c1 = 0, c2 = 0, c3 = 0, c4 = 0;
      std::istringstream fields(line);
      fields >> r.shape.tokens >> c1 >> r.shape.seqs >> c2 >> r.shape.prefill_tokens >> c3 >>
          r.shape.context_tokens >> c4 >> r.forward_ns;
      if (!fields || c1 != ',' || c2 != ',' || c3 != ',' || c4 != ',' || r.shape.tokens < 1 ||
          r.shape.seqs < 1 || r.forward_ns < 0)
        throw InputError(flag + " " + path + ":" + std::to_string(line_no) + ": expected " +
                         kStepProfileHeader + " (--step-profile-out's format), got '" + line + "'");
      rows.push_back(r);
    }
  }
  return rows;
}

}  // namespace tpbench
