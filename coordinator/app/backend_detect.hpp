#pragma once
#include <string>

namespace tpbench {

// --backend as given, or (empty = auto) "cuda" when every rank sees a GPU, else "cpu".
// Collective over MPI_COMM_WORLD.
std::string resolve_backend(const std::string& requested);

}  // namespace tpbench
