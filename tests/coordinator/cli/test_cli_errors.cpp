// Every bad value ends in one InputError line that names the flag or file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

struct BadCase {
  std::vector<std::string> flags;  // after DATASET MODEL
  std::string names;               // the message must contain this
};

void expect_one_line_naming(const std::string& message, const std::string& names,
                            const std::string& context) {
  EXPECT_FALSE(message.empty()) << context << ": no InputError";
  EXPECT_NE(message.find(names), std::string::npos) << context << ": '" << message << "'";
  EXPECT_EQ(message.find('\n'), std::string::npos) << context << ": '" << message << "'";
}

TEST(CliErrors, BadValuesNameTheirFlag) {
  const std::vector<BadCase> cases = {
      {{"-c", "0"}, "--concurrency"},
      {{"--concurrency", "-3"}, "--concurrency"},
      {{"-c", "abc"}, "--concurrency"},
      {{"-n", "0"}, "--num-prompts"},
      {{"--num-prompts", "-1"}, "--num-prompts"},
      {{"--tp", "0"}, "--tp"},
      {{"--tp", "1.5"}, "--tp"},
      {{"--seed", "x"}, "--seed"},
      {{"--backend", "rocm"}, "--backend"},
      {{"--backend", "turbomind"}, "--backend"},
      {{"--top-k", "-1"}, "--top-k"},
      {{"--top-p", "0"}, "--top-p"},
      {{"--top-p", "1.01"}, "--top-p"},
      {{"--top-p", "nan"}, "--top-p"},
      {{"--temperature", "-0.1"}, "--temperature"},
      {{"--temperature", "2.5"}, "--temperature"},
      {{"--cache-max-entry-count", "0"}, "--cache-max-entry-count"},
      {{"--cache-max-entry-count", "1.5"}, "--cache-max-entry-count"},
      {{"--cache-block-seq-len", "0"}, "--cache-block-seq-len"},
      {{"--dtype", "int8"}, "--dtype"},
      {{"--dataset-name", "alpaca"}, "--dataset-name"},
      {{"--sharegpt-output-len", "0"}, "--sharegpt-output-len"},
      {{"--random-input-len", "0"}, "--random-input-len"},
      {{"--random-output-len", "-5"}, "--random-output-len"},
      {{"--random-range-ratio", "-0.1"}, "--random-range-ratio"},
      {{"--random-range-ratio", "1.1"}, "--random-range-ratio"},
      {{"--percentiles", "abc"}, "--percentiles"},
      {{"--percentiles", "101"}, "--percentiles"},
      {{"--percentiles", "-1"}, "--percentiles"},
      {{"--percentiles", ""}, "--percentiles"},
      {{"--percentiles", "50,,99"}, "--percentiles"},
      {{"--percentiles", "50,"}, "--percentiles"},
      {{"--percentiles", "inf"}, "--percentiles"},
      {{"--dispatch", "random"}, "--dispatch"},
      {{"--max-batch-size", "-1"}, "--max-batch-size"},
      {{"--max-prefill-tokens", "0"}, "--max-prefill-tokens"},
      {{"--kv-cache-bytes", "-1"}, "--kv-cache-bytes"},
      {{"--heartbeat-timeout", "0"}, "--heartbeat-timeout"},
      {{"--timeout", "-1"}, "--timeout"},
      {{"--startup-timeout", "-1"}, "--startup-timeout"},
      {{"--startup-timeout", "inf"}, "--startup-timeout"},
      {{"--backend="}, "--backend"},
      {{"--csv", "--dry-run"}, "--csv"},
      {{"--json", "-x.json"}, "--json"},
      {{"-c", "--dry-run"}, "--concurrency"},
      {{"--coordinator-addr", "--tp", "2"}, "--coordinator-addr"},
      {{"--percentiles", "--dry-run"}, "--percentiles"},
      {{"-temp", "3"}, "--temperature"},
      {{"--tp", "99999999999"}, "--tp"},
      {{"--startup-timeout", "-0.5"}, "--startup-timeout"},
      {{"--sim-base-ms", "-1"}, "--sim-base-ms"},
      {{"--sim-per-token-us", "-1"}, "--sim-per-token-us"},
      {{"--sim-step-ms", "inf"}, "--sim-step-ms"},
      {{"--record-tokens"}, "--record-tokens"},
      // Output paths: check_output_paths() on rank 0 (tests/coordinator/report/test_output_paths.cpp).
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--tp"}, "--tp"},
      {{"--dry-run=maybe"}, "--dry-run"},
  };
  for (const BadCase& c : cases) {
    std::string context;
    for (const auto& f : c.flags) context += f + " ";
    const std::string message = input_error_with_files(c.flags);
    if (std::getenv("TPBENCH_SHOW_ERRORS"))
      std::printf("%-45s -> %s\n", context.c_str(), message.c_str());
    expect_one_line_naming(message, c.names, context);
  }
}

TEST(CliErrors, MissingPositionals) {
  expect_one_line_naming(input_error({}), "DATASET", "no positionals");
  expect_one_line_naming(input_error({kDataset}), "MODEL", "no MODEL");
  expect_one_line_naming(input_error({kDataset, kModel, "extra"}), "extra", "third positional");
}

TEST(CliErrors, DatasetFileMustExist) {
  expect_one_line_naming(input_error({"/nonexistent/sharegpt.json", kModel}),
                         "/nonexistent/sharegpt.json", "missing dataset");
  expect_one_line_naming(input_error({std::string(TPBENCH_DATA_DIR), kModel}),
                         std::string(TPBENCH_DATA_DIR), "dataset is a folder");
  expect_one_line_naming(
      input_error({"/nonexistent/ids.jsonl", kModel, "--dataset-name", "token-ids"}),
      "/nonexistent/ids.jsonl", "missing token-ids dataset");
  // random mode samples its prompt text from the ShareGPT file, so it must be there too
  expect_one_line_naming(
      input_error({"/nonexistent/sharegpt.json", kModel, "--dataset-name", "random"}),
      "/nonexistent/sharegpt.json", "missing dataset in random mode");
}

TEST(CliErrors, ModelMustExistWhenSomethingReadsIt) {
  expect_one_line_naming(input_error({kDataset, "/nonexistent/model"}), "/nonexistent/model",
                         "missing model");
  // sharegpt needs MODEL's tokenizer even on the sim backend
  expect_one_line_naming(input_error({kDataset, "/nonexistent/model", "--backend", "sim"}),
                         "/nonexistent/model", "sim + sharegpt");
  expect_one_line_naming(input_error({kDataset, "/nonexistent/model", "--dry-run"}),
                         "/nonexistent/model", "dry-run + sharegpt");
  expect_one_line_naming(
      input_error({kDataset, "/nonexistent/model", "--dataset-name", "token-ids"}),
      "/nonexistent/model", "token-ids on a real backend");
}

}  // namespace
}  // namespace tpbench::test
