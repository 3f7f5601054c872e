#include "coordinator/orchestrator/launcher_watchdog.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

// Linux 5.3 / 5.9 system calls, by number where the C library's headers predate them (the same
// number on every architecture since 5.1).
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace tpbench {
namespace {

bool is_open_mpi_launcher(const std::string& comm) {
  return comm == "mpirun" || comm == "mpiexec" || comm == "orterun" || comm == "prterun";
}

std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, it names one process
// even if the pid is reused. Only open/read/close: safe in the forked child. 0 if unreadable.
unsigned long long start_ticks(const char* stat_path) {
  char buf[1024];
  int fd = ::open(stat_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = nullptr;  // after the last ')': the command name may hold spaces or ')'
  for (ssize_t i = 0; i < n; ++i)
    if (buf[i] == ')') p = buf + i + 1;
  if (!p) return 0;
  for (int field = 2; field < 22 && *p; ++p)  // field 2 ends at that ')'
    if (*p == ' ') ++field;
  unsigned long long ticks = 0;
  for (; *p >= '0' && *p <= '9'; ++p) ticks = ticks * 10 + static_cast<unsigned>(*p - '0');
  return ticks;
}

void close_all_but(int keep) {
  // The child must not hold rank 0's stdout/stderr: mpirun waits for those pipes to close.
  if (keep > 0 && ::syscall(SYS_close_range, 0u, static_cast<unsigned>(keep - 1), 0u) != 0)
    for (int fd = 0; fd < keep; ++fd) ::close(fd);
  if (::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) != 0)
    for (int fd = keep + 1; fd < 65536; ++fd) ::close(fd);
}

// The detached child: only system calls from here on (the parent has other threads).
[[noreturn]] void watch(pid_t launcher, int pidfd, int grace_s, unsigned long long ticks,
                        const char* stat_path, const char* stderr_path, const std::string& line) {
  ::setsid();  // out of rank 0's process group, which mpirun kills
  close_all_but(pidfd);
  timespec now{}, until{};
  ::clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += grace_s;
  while (
      ::clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
      (now.tv_sec < until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec < until.tv_nsec))) {
    pollfd p{pidfd, POLLIN, 0};  // a pidfd is readable once its process has ended
    if (::poll(&p, pidfd >= 0 ? 1 : 0, 200) > 0) ::_exit(0);
  }
  if (start_ticks(stat_path) != ticks) ::_exit(0);  // ended; the pid may be another's now
  int err = ::open(stderr_path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
  if (err >= 0) {
    ssize_t ignored = ::write(err, line.data(), line.size());
    (void)ignored;
    ::close(err);
  }
  if (pidfd < 0 || ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0u) != 0)
    ::kill(launcher, SIGKILL);
  ::_exit(0);
}

}  // namespace

bool arm_launcher_watchdog(int grace_s) {
  const pid_t launcher = ::getppid();
  if (launcher <= 1 || !is_open_mpi_launcher(process_name(launcher))) return false;
  const std::string proc = "/proc/" + std::to_string(launcher);
  const std::string stat_path = proc + "/stat", stderr_path = proc + "/fd/2";
  const unsigned long long ticks = start_ticks(stat_path.c_str());
  if (ticks == 0) return false;
  const std::string line = "profile_throughput: mpirun (pid " + std::to_string(launcher) +
                           ") had not ended the job " + std::to_string(grace_s) +
                           " s after MPI_Abort (a host it cannot reach?): rank 0 ends it with "
                           "SIGKILL\n";
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, launcher, 0u));
  // A raw fork: no pthread_atfork handlers (MPI's, CUDA's) run, and the child only makes
  // system calls.
#ifdef SYS_fork
  const long child = ::syscall(SYS_fork);
#else  // aarch64 and the other newer ports: clone(SIGCHLD) is fork
  const long child = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
  if (child == 0)
    watch(launcher, pidfd, grace_s, ticks, stat_path.c_str(), stderr_path.c_str(), line);
  if (pidfd >= 0) ::close(pidfd);
  return child > 0;
}

}  // namespace tpbench
