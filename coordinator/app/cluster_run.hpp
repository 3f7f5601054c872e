#pragma once

namespace tpbench {

// The whole run as seen by one rank (docs/ARCHITECTURE.md "Roles"): parse and agree on the
// command line, build the workload (rank 0), start the coordinator (rank 0), build the engine,
// pass the start barrier, run the rank's role, and return the exit code every rank agrees on.
int run_cluster(int argc, char** argv);

}  // namespace tpbench
