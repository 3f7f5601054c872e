#pragma once
#include "common/engine_options.hpp"

namespace tpbench {

// --backend as given, or (auto) cuda when every rank sees a GPU, else cpu.
// Collective over MPI_COMM_WORLD.
Backend resolve_backend(Backend requested);

}  // namespace tpbench
