#include "coordinator/orchestrator/termination.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

namespace tpbench {
namespace {
int g_pipe[2] = {-1, -1};

extern "C" void on_sigterm(int) {
  char c = 't';
  ssize_t ignored = ::write(g_pipe[1], &c, 1);
  (void)ignored;
}
}  // namespace

int install_termination_watch() {
  if (g_pipe[0] >= 0) return g_pipe[0];
  if (::pipe(g_pipe) != 0) return -1;
  for (int fd : g_pipe) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct sigaction sa {};
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &sa, nullptr);
  return g_pipe[0];
}

int termination_fd() {
  return g_pipe[0];
}

}  // namespace tpbench
