#pragma once
// One string from every rank of an MPI communicator (any length), in rank order.
#include <mpi.h>

#include <string>
#include <vector>

namespace tpbench {

// A collective over `comm`.
std::vector<std::string> all_gather_strings(MPI_Comm comm, const std::string& mine);

}  // namespace tpbench
