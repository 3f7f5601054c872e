#pragma once
// Value checks behind parse_command_line(), split out so each rule is testable on its own.
#include <string>
#include <vector>

#include "common/run_options.hpp"

namespace tpbench::cli {

// "50,75,95,99" -> {50, 75, 95, 99}; throws InputError naming --percentiles.
std::vector<double> parse_percentile_list(const std::string& text);

// Every value and file check that does not need the world size; throws InputError.
void validate_options(const RunOptions& options);

}  // namespace tpbench::cli
