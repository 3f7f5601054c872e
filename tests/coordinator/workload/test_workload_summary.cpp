// print_workload_summary: totals, numpy-style percentiles and LMDeploy's two lines.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "coordinator/workload/workload.hpp"

namespace tpbench {
namespace {

std::string summary_of(const Workload& w, const RunOptions& o) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  print_workload_summary(w, o, out);
  std::fclose(out);
  std::string text(buf, size);
  std::free(buf);
  return text;
}

TEST(WorkloadSummary, TotalsPercentilesAndLMDeployLines) {
  Workload w;
  w.dataset_name = "sharegpt";
  w.tokenizer_kind = "sentencepiece";
  w.dataset_records = 20;
  w.eligible = 15;
  w.examined = 12;
  w.rejected = 2;
  for (int i = 1; i <= 10; ++i) {  // prompts 1..10, outputs 10, 20, ... 100
    WorkloadRequest r;
    r.id = static_cast<uint64_t>(i - 1);
    r.prompt_len = i;
    r.output_len = 10 * i;
    w.requests.push_back(r);
  }
  RunOptions o;
  o.dataset_path = "data.json";
  o.engine.model_dir = "model";
  const std::string s = summary_of(w, o);
  EXPECT_NE(s.find("#Input tokens: 55\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#Output tokens: 550\n"), std::string::npos) << s;
  EXPECT_NE(s.find("20 in the file, 15 eligible, 12 examined, 2 rejected"), std::string::npos) << s;
  EXPECT_NE(s.find("requests       10"), std::string::npos) << s;
  // numpy.percentile([1..10], [50, 90, 99]) = 5.5, 9.1, 9.91
  EXPECT_NE(s.find("55        5.5        1      5.5      9.1      9.9       10"), std::string::npos)
      << s;
  EXPECT_NE(s.find("sentencepiece (model)"), std::string::npos) << s;
}

}  // namespace
}  // namespace tpbench
