#pragma once
// SIGTERM on the coordinator's rank: under mpirun this usually means another rank died and the
// job is being torn down (Open MPI sends SIGTERM, then SIGKILL a second later). The handler only
// wakes the coordinator, which writes the partial results before exiting.
namespace tpbench {

// Installs the handler; returns a file descriptor that becomes readable on SIGTERM.
int install_termination_watch();
// The descriptor, or -1 when no watch is installed.
int termination_fd();

}  // namespace tpbench
