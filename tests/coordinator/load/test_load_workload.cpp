// build_workload in an open loop: the dataset's selection is the closed loop's (the schedule has
// a stream of its own), every request is scheduled, --duration repeats the sampled requests,
// --trace replays the trace's times and lengths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "coordinator/load/arrival_schedule.hpp"
#include "coordinator/load/azure_trace.hpp"
#include "coordinator/workload/workload.hpp"
#include "load_test_util.hpp"

namespace tpbench {
namespace {

// Random mode and --trace take prompts of any length: the shipped 50 long prompts do. ShareGPT
// mode keeps prompts of at most 1024 tokens: the shared data's short real conversations.
const std::string kLongPrompts =
    std::string(TPBENCH_DATA_DIR) + "/sharegpt/sharegpt-v3-50conv-1kprompt.json";
const std::string kShortPrompts =
    std::string(TPBENCH_SHARED_DATA_DIR) + "/sharegpt-365conv-multiturn-noid.json";

#define REQUIRE_SHORT_PROMPTS()                                 \
  do {                                                          \
    if (!std::filesystem::exists(kShortPrompts))                \
      GTEST_SKIP() << "missing shared data: " << kShortPrompts; \
  } while (0)

RunOptions text_options(DatasetName mode) {
  RunOptions o;
  o.dataset_path = mode == DatasetName::kShareGpt ? kShortPrompts : kLongPrompts;
  o.engine.model_dir = std::string(TPBENCH_DATA_DIR) + "/tokenizers/llama2";
  o.dataset_name = mode;
  o.num_prompts = 30;
  o.random_input_len = 200;
  o.random_output_len = 50;
  o.random_range_ratio = 0.5;
  o.seed = 17;
  return o;
}

void expect_same_requests(const Workload& a, const Workload& b, const std::string& context) {
  ASSERT_EQ(a.requests.size(), b.requests.size()) << context;
  for (size_t i = 0; i < a.requests.size(); ++i) {
    EXPECT_EQ(a.requests[i].id, b.requests[i].id) << context << " " << i;
    EXPECT_EQ(a.requests[i].prompt_ids, b.requests[i].prompt_ids) << context << " " << i;
    EXPECT_EQ(a.requests[i].output_len, b.requests[i].output_len) << context << " " << i;
  }
}

TEST(LoadWorkload, SelectionIsTheClosedLoopsAndEveryRequestIsScheduled) {
  REQUIRE_SHORT_PROMPTS();
  for (DatasetName mode : {DatasetName::kShareGpt, DatasetName::kRandom}) {
    const RunOptions closed = text_options(mode);
    const Workload reference = build_workload(closed);
    for (const WorkloadRequest& r : reference.requests) EXPECT_EQ(r.scheduled_ns, -1);

    RunOptions poisson = closed;
    poisson.request_rate = 20;
    RunOptions ramped = closed;
    ramped.ramp_up_strategy = RampUp::kExponential;
    ramped.ramp_up_start_rps = 1;
    ramped.ramp_up_end_rps = 30;
    ramped.burstiness = 0.5;
    for (const RunOptions& open : {poisson, ramped}) {
      const Workload w = build_workload(open);
      expect_same_requests(reference, w, std::string(name_of(mode)));
      const std::vector<int64_t> expected =
          arrival_schedule_ns(arrival_shape_of(open), w.requests.size(), open.seed);
      for (size_t i = 0; i < w.requests.size(); ++i)
        EXPECT_EQ(w.requests[i].scheduled_ns, expected[i]) << i;
    }
  }
}

TEST(LoadWorkload, DurationCyclesThroughTheSampledRequests) {
  REQUIRE_SHORT_PROMPTS();
  RunOptions o = text_options(DatasetName::kShareGpt);
  const Workload sampled = build_workload(o);
  o.request_rate = 50;
  o.duration_s = 2.0;
  const Workload w = build_workload(o);
  const std::vector<int64_t> at = arrivals_within_ns(arrival_shape_of(o), 2.0, o.seed);
  ASSERT_EQ(w.requests.size(), at.size());
  ASSERT_GT(w.requests.size(), sampled.requests.size());  // about 100 arrivals, 30 sampled
  EXPECT_EQ(w.cycled_from, sampled.requests.size());
  for (size_t i = 0; i < w.requests.size(); ++i) {
    const WorkloadRequest& source = sampled.requests[i % sampled.requests.size()];
    EXPECT_EQ(w.requests[i].id, i);
    EXPECT_EQ(w.requests[i].prompt_ids, source.prompt_ids) << i;
    EXPECT_EQ(w.requests[i].output_len, source.output_len) << i;
    EXPECT_EQ(w.requests[i].scheduled_ns, at[i]) << i;
  }
}

// Every row of the shipped code trace: scheduled = offset x scale (Python's csv/datetime), the
// row's lengths, random mode's prompt text.
TEST(LoadWorkload, TraceReplaysOffsetsTimesScaleAndLengths) {
  const std::string path = load_test::trace_file("azure-llm-trace-2023-code.csv");
  for (double scale : {0.5, 1.37}) {
    RunOptions o = text_options(DatasetName::kRandom);
    o.trace_path = path;
    o.trace_time_scale = scale;
    const Workload w = build_workload(o);
    const std::vector<double> expected =
        load_test::numbers(load_test::run_reference("trace " + path + " " + std::to_string(scale)));
    ASSERT_EQ(3 * w.requests.size(), expected.size());
    EXPECT_EQ(w.trace_rows, w.requests.size());
    for (size_t i = 0; i < w.requests.size(); ++i) {
      const WorkloadRequest& r = w.requests[i];
      // Python rounds half to even, llround half away from zero.
      ASSERT_LE(std::abs(r.scheduled_ns - static_cast<int64_t>(expected[3 * i])), 1) << i;
      ASSERT_EQ(r.prompt_len, expected[3 * i + 1]) << i;
      ASSERT_EQ(static_cast<double>(r.prompt_ids.size()), expected[3 * i + 1]) << i;
      ASSERT_EQ(r.output_len, expected[3 * i + 2]) << i;
      ASSERT_EQ(r.prompt_ids.front(), 1) << i;  // BOS, as random mode's prompts start
    }
  }
}

TEST(LoadWorkload, TraceTakesTheFirstNRowsOrThoseBeforeTheDuration) {
  const std::string path = load_test::trace_file("azure-llm-trace-2023-conv.csv");
  const AzureTrace trace = read_azure_trace(path);
  RunOptions o = text_options(DatasetName::kRandom);
  o.trace_path = path;
  o.num_prompts = 40;
  o.num_prompts_given = true;
  const Workload first = build_workload(o);
  ASSERT_EQ(first.requests.size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(first.requests[i].scheduled_ns, trace.rows[i].offset_ns);
    EXPECT_EQ(first.requests[i].prompt_len, trace.rows[i].context_tokens);
  }

  // Random mode's prompts: request i's ids repeat the same shuffled prompt as random mode's.
  RunOptions random = o;
  random.trace_path.clear();
  const Workload reference = build_workload(random);
  for (size_t i = 0; i < 40; ++i) {
    const std::vector<int32_t>& a = first.requests[i].prompt_ids;
    const std::vector<int32_t>& b = reference.requests[i].prompt_ids;
    const size_t common = std::min(a.size(), b.size());
    EXPECT_TRUE(std::equal(a.begin(), a.begin() + common, b.begin())) << i;
  }

  o.num_prompts_given = false;
  o.duration_s = 30.0;
  o.trace_time_scale = 0.25;
  const Workload within = build_workload(o);
  size_t expected = 0;
  while (static_cast<double>(trace.rows[expected].offset_ns) * 0.25 < 30e9) ++expected;
  EXPECT_EQ(within.requests.size(), expected);
  EXPECT_GT(expected, 40u);
}

}  // namespace
}  // namespace tpbench
