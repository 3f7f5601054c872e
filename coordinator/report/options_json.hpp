#pragma once
#include <nlohmann/json.hpp>

#include "common/run_options.hpp"

namespace tpbench {

// Every option of the table in coordinator/cli/option_table.hpp, under its JSON key.
nlohmann::ordered_json options_to_json(const RunOptions& options);

}  // namespace tpbench
