// The open-loop flags (docs/CLI.md, "Open-loop load"): fields, ranges, and conflicts named by
// both flags.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

const std::string kTrace = std::string(TPBENCH_DATA_DIR) + "/traces/azure-llm-trace-2023-code.csv";

void expect_names_all(const std::vector<std::string>& flags,
                      const std::vector<std::string>& names) {
  std::string context;
  for (const auto& f : flags) context += f + " ";
  const std::string message = input_error_with_files(flags);
  EXPECT_FALSE(message.empty()) << context << ": no InputError";
  for (const std::string& name : names)
    EXPECT_NE(message.find(name), std::string::npos) << context << ": '" << message << "'";
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(CliLoad, DefaultsAreTheClosedLoop) {
  const RunOptions o = parse_with_files({}).options;
  EXPECT_EQ(o.request_rate, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(o.burstiness, 1.0);
  EXPECT_EQ(o.ramp_up_strategy, RampUp::kNone);
  EXPECT_FALSE(o.ramp_up_start_rps || o.ramp_up_end_rps || o.duration_s);
  EXPECT_EQ(o.trace_path, "");
  EXPECT_DOUBLE_EQ(o.trace_time_scale, 1.0);
  EXPECT_EQ(o.max_concurrency, 0);
  EXPECT_FALSE(o.num_prompts_given);
  EXPECT_FALSE(is_open_loop(o));
}

TEST(CliLoad, EveryFlagSetsItsField) {
  RunOptions o = parse_with_files({"--request-rate", "12.5", "--burstiness", "0.25",
                                   "--max-concurrency", "64", "--duration", "30", "-n", "7"})
                     .options;
  EXPECT_DOUBLE_EQ(o.request_rate, 12.5);
  EXPECT_DOUBLE_EQ(o.burstiness, 0.25);
  EXPECT_EQ(o.max_concurrency, 64);
  EXPECT_DOUBLE_EQ(*o.duration_s, 30);
  EXPECT_TRUE(o.num_prompts_given);
  EXPECT_TRUE(is_open_loop(o));

  o = parse_with_files({"--ramp-up-strategy", "exponential", "--ramp-up-start-rps", "2",
                        "--ramp-up-end-rps", "50", "--burstiness", "inf"})
          .options;
  EXPECT_EQ(o.ramp_up_strategy, RampUp::kExponential);
  EXPECT_DOUBLE_EQ(*o.ramp_up_start_rps, 2);
  EXPECT_DOUBLE_EQ(*o.ramp_up_end_rps, 50);
  EXPECT_EQ(o.burstiness, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(is_open_loop(o));

  o = parse_with_files({"--trace", kTrace, "--trace-time-scale", "0.5", "--request-rate", "inf"})
          .options;
  EXPECT_EQ(o.trace_path, kTrace);
  EXPECT_DOUBLE_EQ(o.trace_time_scale, 0.5);
  EXPECT_TRUE(is_open_loop(o));

  o = parse_with_files({"--request-rate", "inf", "--ramp-up-strategy", "linear",
                        "--ramp-up-start-rps", "1", "--ramp-up-end-rps", "1"})
          .options;
  EXPECT_EQ(o.ramp_up_strategy, RampUp::kLinear);
}

TEST(CliLoad, BadValuesNameTheirFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--request-rate", "0"}, "--request-rate"},
      {{"--request-rate", "-3"}, "--request-rate"},
      {{"--request-rate", "-inf"}, "--request-rate"},
      {{"--request-rate", "nan"}, "--request-rate"},
      {{"--request-rate", "fast"}, "--request-rate"},
      {{"--burstiness", "0"}, "--burstiness"},
      {{"--ramp-up-strategy", "quadratic"}, "--ramp-up-strategy"},
      {{"--ramp-up-start-rps", "0"}, "--ramp-up-start-rps"},
      {{"--ramp-up-end-rps", "-1"}, "--ramp-up-end-rps"},
      {{"--ramp-up-end-rps", "inf"}, "--ramp-up-end-rps"},
      {{"--trace-time-scale", "0"}, "--trace-time-scale"},
      {{"--duration", "0"}, "--duration"},
      {{"--duration", "inf"}, "--duration"},
      {{"--max-concurrency", "0"}, "--max-concurrency"},
      {{"--max-concurrency", "2.5"}, "--max-concurrency"},
      {{"--trace", "/nonexistent/trace.csv"}, "--trace"},
      {{"--trace", "--dry-run"}, "--trace"},
  };
  for (const auto& [flags, name] : cases) expect_names_all(flags, {name});
}

TEST(CliLoad, ConflictsNameBothFlags) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--ramp-up-strategy", "linear", "--ramp-up-start-rps", "1", "--ramp-up-end-rps", "5",
        "--request-rate", "3"},
       {"--ramp-up-strategy", "--request-rate"}},
      {{"--ramp-up-strategy", "linear", "--ramp-up-end-rps", "5"},
       {"--ramp-up-strategy", "--ramp-up-start-rps"}},
      {{"--ramp-up-strategy", "exponential", "--ramp-up-start-rps", "5"},
       {"--ramp-up-strategy", "--ramp-up-end-rps"}},
      {{"--ramp-up-strategy", "linear", "--ramp-up-start-rps", "6", "--ramp-up-end-rps", "5"},
       {"--ramp-up-start-rps", "--ramp-up-end-rps"}},
      {{"--ramp-up-start-rps", "1"}, {"--ramp-up-start-rps", "--ramp-up-strategy"}},
      {{"--ramp-up-end-rps", "1"}, {"--ramp-up-end-rps", "--ramp-up-strategy"}},
      {{"--burstiness", "0.5"}, {"--burstiness", "--request-rate"}},
      {{"--trace", kTrace, "--request-rate", "4"}, {"--trace", "--request-rate"}},
      {{"--trace", kTrace, "--ramp-up-strategy", "linear", "--ramp-up-start-rps", "1",
        "--ramp-up-end-rps", "2"},
       {"--trace", "--ramp-up-strategy"}},
      {{"--trace", kTrace, "--dataset-name", "token-ids"}, {"--trace", "--dataset-name"}},
      {{"--trace", kTrace, "--sharegpt-output-len", "8"}, {"--trace", "--sharegpt-output-len"}},
      {{"--trace", kTrace, "--burstiness", "2"}, {"--burstiness", "--request-rate"}},
      {{"--trace-time-scale", "2"}, {"--trace-time-scale", "--trace"}},
      {{"--duration", "10"}, {"--duration", "--request-rate"}},
      {{"--duration", "10", "--ramp-up-strategy", "linear", "--ramp-up-start-rps", "1",
        "--ramp-up-end-rps", "2"},
       {"--duration", "--ramp-up-strategy"}},
      {{"--max-concurrency", "8"}, {"--max-concurrency", "-c"}},
  };
  for (const auto& [flags, names] : cases) expect_names_all(flags, names);
}

}  // namespace
}  // namespace tpbench::test
