#pragma once
// profile_throughput's command line (docs/CLI.md), parsed with CLI11.
#include "common/run_options.hpp"

namespace tpbench {

struct CliResult {
  RunOptions options;
  bool exit_now = false;  // --help / --version were printed
  int exit_code = 0;
};

// Parses and validates argv. Bad input (unknown flag, out-of-range value, missing file)
// throws InputError with one line naming the flag or file; main exits with kExitBadInput.
// World-dependent checks (tp dividing the world size) are done by wire::make_topology().
CliResult parse_command_line(int argc, const char* const* argv);

}  // namespace tpbench
