#pragma once
// SIGINT and SIGTERM on the coordinator's rank (docs/ARCHITECTURE.md "Faults"). Open MPI's
// mpirun, given either signal, sends every rank SIGCONT, then SIGTERM a second later, then
// SIGKILL at most a second after that (odls_base_sigkill_timeout) or once the others have died;
// srun forwards the signal itself. The
// handler only records the signal and wakes the coordinator, which prints one line, writes the
// reports of what finished marked incomplete and exits 128 + the signal number.
namespace tpbench {

// Installs the handler for SIGINT and SIGTERM and blocks both in the calling thread (and so in
// every thread it starts later); returns a file descriptor that becomes readable when one arrives.
int install_termination_watch();
// Unblocks SIGINT and SIGTERM in the calling thread (the coordinator's), where the handler runs.
void accept_interrupts_in_this_thread();
// On the other ranks: SIGINT or SIGTERM ends the rank kWorkerInterruptGraceMs later (exit
// 128 + signo). mpirun sends SIGKILL to every rank as soon as the ranks it sent SIGTERM to have
// died, so a rank that dies at once would cut rank 0's reports short; rank 0 exits first.
inline constexpr long kWorkerInterruptGraceMs = 700;
void defer_worker_interrupts();
// The descriptor, or -1 when no watch is installed.
int termination_fd();
// The first SIGINT or SIGTERM received since install_termination_watch(), or 0.
int received_interrupt();
// "SIGINT", "SIGTERM" or "a signal".
const char* interrupt_name(int signo);

}  // namespace tpbench
