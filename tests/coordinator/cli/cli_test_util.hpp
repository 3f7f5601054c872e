#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "coordinator/cli/cli.hpp"

namespace tpbench::test {

inline const std::string kDataset =
    std::string(TPBENCH_DATA_DIR) + "/sharegpt/sharegpt-v3-500-first-prompts.json";
inline const std::string kModel = std::string(TPBENCH_DATA_DIR) + "/models/stories260K";

inline CliResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "profile_throughput");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

inline CliResult parse_with_files(std::vector<std::string> extra) {
  std::vector<std::string> args{kDataset, kModel};
  args.insert(args.end(), extra.begin(), extra.end());
  return parse(args);
}

// The InputError's message, or "" when none was thrown.
inline std::string input_error(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

inline std::string input_error_with_files(std::vector<std::string> extra) {
  std::vector<std::string> args{kDataset, kModel};
  args.insert(args.end(), extra.begin(), extra.end());
  return input_error(args);
}

}  // namespace tpbench::test
