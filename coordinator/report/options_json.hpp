#pragma once
#include <nlohmann/json.hpp>

#include "common/run_options.hpp"

namespace tpbench {

// Every RunOptions field, keyed by its command-line name without the dashes.
nlohmann::ordered_json options_to_json(const RunOptions& options);

}  // namespace tpbench
