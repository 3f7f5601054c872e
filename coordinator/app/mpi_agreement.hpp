#pragma once
// Collective decisions before the run: every rank contributes its status, all get the worst
// code, and the lowest failing rank prints its one-line message (so it appears once).
#include <string>

#include "worker/rank_worker.hpp"

namespace tpbench {

int agree_on_status(const WorkerStatus& status);

void print_error_line(const std::string& message);

}  // namespace tpbench
