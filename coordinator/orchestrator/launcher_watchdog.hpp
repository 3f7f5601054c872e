#pragma once
// A fault on rank 0 ends the job with MPI_Abort. Open MPI's mpirun then kills every rank and
// waits for each host's daemon to confirm; a daemon on a host that has become unreachable
// never does, and mpirun (Open MPI 4.1) then waits for its TCP connection to that host to
// fail, which takes minutes (about 15 with Linux's default retransmissions). A job under
// sbatch would burn its allocation meanwhile. So before MPI_Abort rank 0 leaves behind a small
// detached process that ends mpirun with SIGKILL if mpirun is still running after a grace: a
// job whose hosts are all reachable has ended by then (MPI_Abort takes about a second), one
// with an unreachable host ends at the latest heartbeat timeout + grace after the host was
// cut off, with the reports already written (docs/CLUSTER.md).
namespace tpbench {

// The grace, in seconds, between MPI_Abort and mpirun's SIGKILL.
inline constexpr int kLauncherAbortGraceS = 10;

// Call right before MPI_Abort. Does nothing unless this process's parent is Open MPI's
// launcher (mpirun, mpiexec, orterun or prterun: rank 0 on mpirun's host, the default
// mapping); under srun or a remote daemon (orted) the parent is left alone. Returns whether
// the watchdog process was started.
bool arm_launcher_watchdog(int grace_s = kLauncherAbortGraceS);

}  // namespace tpbench
