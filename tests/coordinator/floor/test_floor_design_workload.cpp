// The design's yardstick: the H100 inputs on the benchmark workload (1000 requests sampled from
// sharegpt-perf-1440.json with the Llama 2 tokenizer, seed 0, concurrency 256) give a 27.29 s
// floor, 7,850 output tok/s.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/run_options.hpp"
#include "coordinator/floor/floor_json.hpp"
#include "coordinator/floor/floor_model.hpp"
#include "coordinator/workload/workload.hpp"

namespace tpbench {
namespace {

TEST(FloorDesignWorkload, H100InputsGiveTheDesignFloor) {
  const std::string perf = std::string(TPBENCH_SHARED_DATA_DIR) + "/sharegpt-perf-1440.json";
  if (!std::filesystem::exists(perf)) GTEST_SKIP() << "missing data: " << perf;
  RunOptions o;
  o.dataset_path = perf;
  o.engine.model_dir = std::string(TPBENCH_DATA_DIR) + "/tokenizers/llama2";
  o.num_prompts = 1000;
  o.seed = 0;
  const Workload w = build_workload(o);
  std::vector<FloorRequest> requests;
  for (const WorkloadRequest& r : w.requests) requests.push_back({r.prompt_len, r.output_len});

  const FloorInputs h100 =
      load_floor_inputs(std::string(TPBENCH_FLOOR_TEST_DIR) + "/h100-llama-2-7b-bf16.json");
  const FloorResult r = compute_floor(requests, 256, h100);
  EXPECT_EQ(r.requests, 1000);
  EXPECT_EQ(r.prompt_tokens, 246425);
  EXPECT_EQ(r.output_tokens, 214202);
  EXPECT_NEAR(r.seconds, 27.29, 0.01 * 27.29);
  EXPECT_NEAR(r.output_tok_s, 7850, 0.01 * 7850);
  EXPECT_NEAR(r.req_s, 36.6, 0.01 * 36.6);
  // And to the design's own rounding, which pins how context tokens are counted (counting a
  // prefill's own prompt as read, or a decode row's own position as not, moves it past this).
  EXPECT_NEAR(r.seconds, 27.29, 0.005);
  EXPECT_NEAR(r.output_tok_s, 7850, 5);
  std::printf("H100 floor: %.3f s (GEMMs %.3f + K/V %.3f, %lld steps), %.1f output tok/s\n",
              r.seconds, r.gemm_seconds, r.kv_seconds, static_cast<long long>(r.steps),
              r.output_tok_s);
}

}  // namespace
}  // namespace tpbench
