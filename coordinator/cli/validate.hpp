#pragma once
// Checks behind parse_command_line() that involve more than one option or the file system.
// Each option's own range and names are checked where the option table declares them.
#include <string>
#include <vector>

#include "common/run_options.hpp"

namespace tpbench::cli {

// "50,75,95,99" -> {50, 75, 95, 99}; throws InputError naming --percentiles.
std::vector<double> parse_percentile_list(const std::string& text);

// "ttft:200 tpot:50" (words separated by spaces or commas; any of ttft, tpot, e2el, each once,
// in ms >= 0) -> the SLO; throws InputError naming --goodput.
GoodputSlo parse_goodput_slo(const std::string& text);

// Sets options.engine.model_dir from MODEL (options.model) and --revision: a local path as is,
// a hub id as its snapshot in the local Hugging Face cache. Throws InputError when MODEL is
// needed and cannot be found.
void resolve_model(RunOptions& options);

// The checks across options and the file checks that do not need the world size; throws
// InputError.
void validate_options(const RunOptions& options);

// The open-loop flags together (validate_load.cpp): conflicts name both flags.
void validate_load_options(const RunOptions& options);

}  // namespace tpbench::cli
