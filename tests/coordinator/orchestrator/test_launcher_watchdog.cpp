// The watchdog rank 0 leaves before MPI_Abort (coordinator/orchestrator/launcher_watchdog.hpp),
// against stand-ins for mpirun: a process named "mpirun" that never ends (killed after the
// grace), one that ends by itself (left alone; the watchdog then exits at once), and a parent
// that is no launcher (no watchdog). tests/e2e's e2e_multihost_namespaces runs the real case.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "coordinator/orchestrator/launcher_watchdog.hpp"

namespace tpbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Waits up to limit_s for pid (a child of this process); -1 when it is still running.
int wait_status(pid_t pid, double limit_s) {
  const auto start = Clock::now();
  int status = 0;
  while (seconds_since(start) < limit_s) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

// Forks a process named "mpirun" whose child (the "rank 0") arms the watchdog with grace_s and
// exits; the "mpirun" then lives for lifetime_s (forever when < 0) and exits 0. Exit code 3:
// the watchdog was not armed.
pid_t fake_mpirun(int grace_s, double lifetime_s) {
  pid_t launcher = ::fork();
  if (launcher != 0) return launcher;
  ::prctl(PR_SET_NAME, "mpirun");
  pid_t rank0 = ::fork();
  if (rank0 == 0) ::_exit(arm_launcher_watchdog(grace_s) ? 0 : 1);
  int status = 0;
  ::waitpid(rank0, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ::_exit(3);
  if (lifetime_s < 0)
    while (true) ::pause();
  std::this_thread::sleep_for(std::chrono::duration<double>(lifetime_s));
  ::_exit(0);
}

class LauncherWatchdog : public ::testing::Test {
 protected:
  // Orphans (the watchdog, once its "rank 0" exits) come back to this process.
  void SetUp() override { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  void TearDown() override {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
};

TEST_F(LauncherWatchdog, KillsAnMpirunStillRunningAfterTheGrace) {
  const auto start = Clock::now();
  pid_t launcher = fake_mpirun(1, -1);
  int status = wait_status(launcher, 10);
  if (status == -1) ::kill(launcher, SIGKILL), ::waitpid(launcher, nullptr, 0);
  ASSERT_NE(status, -1) << "the stuck mpirun was still running 10 s later";
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit code " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_GE(seconds_since(start), 0.9) << "killed before the grace";
  EXPECT_LT(seconds_since(start), 6.0);
}

TEST_F(LauncherWatchdog, LeavesAnMpirunThatEndsInTimeAndExits) {
  pid_t launcher = fake_mpirun(3, 0.3);
  int status = wait_status(launcher, 10);
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The watchdog, an orphan reaped here, ends as soon as its mpirun has.
  const auto ended = Clock::now();
  pid_t watchdog = -1;
  while (seconds_since(ended) < 5 && (watchdog = ::waitpid(-1, &status, WNOHANG)) <= 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(watchdog, 0) << "the watchdog outlived its mpirun by 5 s";
  EXPECT_LT(seconds_since(ended), 1.5);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(LauncherWatchdog, ArmsOnlyUnderMpirun) {
  // This test's parent is ctest or a shell, not Open MPI's launcher.
  EXPECT_FALSE(arm_launcher_watchdog(1));
}

}  // namespace
}  // namespace tpbench
