// The parsing rules every option shares (docs/CLI.md, "Parsing rules"): the last occurrence
// wins, a value never swallows the next flag, and LMDeploy's -temp alias.
#include <gtest/gtest.h>

#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

TEST(CliRules, LastOccurrenceWins) {
  const RunOptions o = parse_with_files({"--backend", "cpu", "-c", "4", "--backend", "sim",
                                         "--concurrency", "8", "--csv", "a.csv", "--csv", "b.csv",
                                         "--dtype", "float16", "--dtype=bfloat16"})
                           .options;
  EXPECT_EQ(o.engine.backend, Backend::kSim);
  EXPECT_EQ(o.concurrency, 8);
  EXPECT_EQ(o.csv_path, "b.csv");
  EXPECT_EQ(o.engine.dtype, DtypeChoice::kBFloat16);
}

TEST(CliRules, LastOccurrenceOfAListTakesAllItsValues) {
  const RunOptions o =
      parse_with_files({"--percentiles", "10,20,30", "--percentiles", "90,99"}).options;
  EXPECT_EQ(o.percentiles, (std::vector<double>{90, 99}));
}

TEST(CliRules, FlagsMayRepeatAndTheLastOfAPairWins) {
  EXPECT_TRUE(parse_with_files({"--dry-run", "--dry-run"}).options.dry_run);
  EXPECT_FALSE(
      parse_with_files({"--no-stream-output", "--no-stream-output"}).options.stream_output);
  EXPECT_FALSE(parse_with_files({"--cuda-graphs", "--no-cuda-graphs"}).options.engine.cuda_graphs);
  EXPECT_TRUE(parse_with_files({"--no-cuda-graphs", "--cuda-graphs"}).options.engine.cuda_graphs);
}

TEST(CliRules, EmptyValueWithEqualsDoesNotTakeTheNextFlag) {
  const RunOptions o = parse_with_files({"--csv=", "--dry-run"}).options;
  EXPECT_EQ(o.csv_path, "");
  EXPECT_TRUE(o.dry_run);
  const RunOptions p = parse_with_files({"--csv", "", "--dry-run"}).options;
  EXPECT_EQ(p.csv_path, "");
  EXPECT_TRUE(p.dry_run);
}

TEST(CliRules, ValueStartingWithDashIsAFlagUnlessANumber) {
  const std::string message = input_error_with_files({"--csv", "--dry-run"});
  EXPECT_NE(message.find("--csv"), std::string::npos) << message;
  EXPECT_NE(message.find("--dry-run"), std::string::npos) << message;
  EXPECT_NE(message.find("--csv="), std::string::npos) << message;  // says how to give ""
  const RunOptions o =
      parse_with_files({"--sim-step-ms", "-1", "--seed", "-7", "--sim-base-ms", "+2.5"}).options;
  EXPECT_DOUBLE_EQ(o.engine.sim_step_ms, -1);
  EXPECT_EQ(o.seed, -7);
  EXPECT_DOUBLE_EQ(o.engine.sim_base_ms, 2.5);
  EXPECT_DOUBLE_EQ(parse_with_files({"--sim-step-ms=-0.5"}).options.engine.sim_step_ms, -0.5);
}

TEST(CliRules, TempIsLmdeploysAliasOfTemperature) {
  EXPECT_DOUBLE_EQ(parse_with_files({"-temp", "0.5"}).options.temperature, 0.5);
  EXPECT_DOUBLE_EQ(parse_with_files({"-temp=1.5"}).options.temperature, 1.5);
  EXPECT_DOUBLE_EQ(parse_with_files({"--temperature", "0.1", "-temp", "0.2"}).options.temperature,
                   0.2);
  // After "--" everything is a positional, so -temp is not rewritten there.
  EXPECT_NE(input_error({"--", kDataset, kModel, "-temp"}), "");
}

TEST(CliRules, StartupTimeoutIsDeclared) {
  EXPECT_DOUBLE_EQ(parse_with_files({"--startup-timeout", "0"}).options.startup_timeout_s, 0);
  EXPECT_DOUBLE_EQ(parse_with_files({"--startup-timeout", "12.5"}).options.startup_timeout_s, 12.5);
}

}  // namespace
}  // namespace tpbench::test
