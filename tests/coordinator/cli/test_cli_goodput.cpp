// --goodput (vLLM's KEY:MS words), --max-lag-p99-ms and --max-rate-shortfall-pct.
#include <gtest/gtest.h>

#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

TEST(CliGoodput, DefaultsAreNoSloAndTheDocumentedBounds) {
  const RunOptions o = parse_with_files({}).options;
  EXPECT_FALSE(o.goodput.any());
  EXPECT_DOUBLE_EQ(o.max_lag_p99_ms, 10);
  EXPECT_DOUBLE_EQ(o.max_rate_shortfall_pct, 5);
  EXPECT_FALSE(is_open_loop(o));
}

TEST(CliGoodput, VllmsSpaceSeparatedWordsAnySubsetAnyOrder) {
  GoodputSlo s =
      parse_with_files({"--goodput", "ttft:200", "tpot:50", "e2el:2000"}).options.goodput;
  EXPECT_EQ(s.ttft_ms, 200.0);
  EXPECT_EQ(s.tpot_ms, 50.0);
  EXPECT_EQ(s.e2el_ms, 2000.0);
  s = parse_with_files({"--goodput", "e2el:1.5"}).options.goodput;
  EXPECT_FALSE(s.ttft_ms.has_value());
  EXPECT_FALSE(s.tpot_ms.has_value());
  EXPECT_EQ(s.e2el_ms, 1.5);
  s = parse_with_files({"--goodput=tpot:0", "ttft:7"}).options.goodput;
  EXPECT_EQ(s.tpot_ms, 0.0);
  EXPECT_EQ(s.ttft_ms, 7.0);
  s = parse_with_files({"--goodput", "ttft:1,tpot:2"}).options.goodput;
  EXPECT_EQ(s.ttft_ms, 1.0);
  EXPECT_EQ(s.tpot_ms, 2.0);
}

TEST(CliGoodput, WordsStopAtTheFirstNonKeyValueArgument) {
  // Before the positionals: DATASET and MODEL stay positionals.
  const CliResult r = parse({"--goodput", "ttft:200", "tpot:50", kDataset, kModel, "-c", "8"});
  EXPECT_EQ(r.options.goodput.ttft_ms, 200.0);
  EXPECT_EQ(r.options.goodput.tpot_ms, 50.0);
  EXPECT_EQ(r.options.dataset_path, kDataset);
  EXPECT_EQ(r.options.concurrency, 8);
  // The last occurrence wins with all its words.
  const GoodputSlo s =
      parse_with_files({"--goodput", "ttft:1", "tpot:2", "--goodput", "e2el:3"}).options.goodput;
  EXPECT_FALSE(s.ttft_ms.has_value());
  EXPECT_FALSE(s.tpot_ms.has_value());
  EXPECT_EQ(s.e2el_ms, 3.0);
}

TEST(CliGoodput, BadWordsAreOneLineNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--goodput", "itl:5"},
       "--goodput: unknown key 'itl' in 'itl:5' (expected ttft, tpot or e2el)"},
      {{"--goodput", "ttft:abc"}, "--goodput: 'ttft:abc': the SLO must be a number of ms >= 0"},
      {{"--goodput", "ttft:-1"}, "--goodput: 'ttft:-1': the SLO must be a number of ms >= 0"},
      {{"--goodput", "ttft:"}, "--goodput: 'ttft:': the SLO must be a number of ms >= 0"},
      {{"--goodput", "ttft:nan"}, "--goodput: 'ttft:nan': the SLO must be a number of ms >= 0"},
      {{"--goodput", "tpot:inf"}, "--goodput: 'tpot:inf': the SLO must be a number of ms >= 0"},
      {{"--goodput", "ttft:1", "ttft:2"}, "--goodput: ttft given twice"},
      {{"--goodput="},
       "--goodput: expected KEY:MS words (e.g. --goodput ttft:200 tpot:50 e2el:2000)"},
      {{"--goodput", "--dry-run"}, "--goodput"},
      {{"--goodput", "ttft=200"}, "--goodput: 'ttft=200' is not KEY:MS"},
      {{"--goodput", "ttft:200", "--no-stream-output"},
       "--goodput ttft: TTFT is not measured with --no-stream-output"},
      {{"--max-lag-p99-ms", "-1"}, "--max-lag-p99-ms"},
      {{"--max-lag-p99-ms", "inf"}, "--max-lag-p99-ms"},
      {{"--max-rate-shortfall-pct", "101"}, "--max-rate-shortfall-pct"},
      {{"--max-rate-shortfall-pct", "-0.5"}, "--max-rate-shortfall-pct"},
  };
  for (const auto& [flags, wanted] : cases) {
    const std::string message = input_error_with_files(flags);
    EXPECT_NE(message.find(wanted), std::string::npos)
        << flags.back() << ": '" << message << "' lacks '" << wanted << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Without streaming, TPOT and E2E SLOs still hold.
  EXPECT_EQ(input_error_with_files({"--goodput", "tpot:5", "e2el:9", "--no-stream-output"}), "");
}

TEST(CliGoodput, BoundsAreParsed) {
  const RunOptions o =
      parse_with_files({"--max-lag-p99-ms", "2.5", "--max-rate-shortfall-pct", "0"}).options;
  EXPECT_DOUBLE_EQ(o.max_lag_p99_ms, 2.5);
  EXPECT_DOUBLE_EQ(o.max_rate_shortfall_pct, 0);
}

}  // namespace
}  // namespace tpbench::test
