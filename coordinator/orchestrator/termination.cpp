#include "coordinator/orchestrator/termination.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>

namespace tpbench {
namespace {
int g_pipe[2] = {-1, -1};
std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int signo) {
  // mpirun may close this rank's stdout and stderr while it ends the job: from now on a write
  // there must fail, not kill the rank before the reports are out.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, nullptr);
  int none = 0;
  g_signal.compare_exchange_strong(none, signo);
  char c = static_cast<char>(signo);
  ssize_t ignored = ::write(g_pipe[1], &c, 1);
  (void)ignored;
}
}  // namespace

int install_termination_watch() {
  if (g_pipe[0] >= 0) return g_pipe[0];
  if (::pipe(g_pipe) != 0) return -1;
  for (int fd : g_pipe) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  // The handler must not run on this (the main) thread or the threads it starts: a blocking call
  // there (zmq_poll, a sleep) would fail with EINTR and end the rank before the reports are out.
  sigset_t interrupts;
  sigemptyset(&interrupts);
  sigaddset(&interrupts, SIGINT);
  sigaddset(&interrupts, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &interrupts, nullptr);
  return g_pipe[0];
}

void accept_interrupts_in_this_thread() {
  sigset_t interrupts;
  sigemptyset(&interrupts);
  sigaddset(&interrupts, SIGINT);
  sigaddset(&interrupts, SIGTERM);
  ::pthread_sigmask(SIG_UNBLOCK, &interrupts, nullptr);
}

namespace {
extern "C" void on_worker_interrupt(int signo) {
  // nanosleep and _exit are async-signal-safe; the rank's other threads go on meanwhile.
  struct timespec grace {
    0, kWorkerInterruptGraceMs * 1'000'000L
  };
  while (::nanosleep(&grace, &grace) != 0) {
  }
  ::_exit(128 + signo);
}
}  // namespace

void defer_worker_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_worker_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

int termination_fd() {
  return g_pipe[0];
}

int received_interrupt() {
  return g_signal.load();
}

const char* interrupt_name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

}  // namespace tpbench
