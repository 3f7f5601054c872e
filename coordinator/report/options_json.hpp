#pragma once
#include <nlohmann/json.hpp>

#include "common/run_options.hpp"

namespace tpbench {

// Every option of the table in coordinator/cli/option_table.hpp, under its JSON key.
nlohmann::ordered_json options_to_json(const RunOptions& options);

// --goodput as {"ttft": ms, "tpot": ms, "e2el": ms}, only the keys given.
nlohmann::ordered_json goodput_slo_json(const GoodputSlo& slo);

}  // namespace tpbench
