#pragma once
// Errors every part of tpbench shares. Bad input (a flag, a file, a record) is an InputError:
// main prints its one-line message and exits with kExitBadInput before any work starts.
#include <exception>
#include <stdexcept>
#include <string>

namespace tpbench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;  // the run started but did not complete
inline constexpr int kExitBadInput = 2;   // bad flag, file, dataset, checkpoint
inline constexpr int kExitTimeout = 3;    // --timeout ended the run: a planned end, not a fault

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken internal invariant; message carries file:line.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a step of a program ended: kExitOk, or the exit code and its one-line message.
struct ExitStatus {
  int code = kExitOk;
  std::string message;
};

// Runs fn: an InputError becomes kExitBadInput, any other exception kExitRunFailed.
template <typename Fn>
ExitStatus exit_status_of(Fn&& fn) {
  try {
    fn();
    return {};
  } catch (const InputError& e) {
    return {kExitBadInput, e.what()};
  } catch (const std::exception& e) {
    return {kExitRunFailed, e.what()};
  }
}

[[noreturn]] void throw_internal(const char* file, int line, const std::string& what);

}  // namespace tpbench

#define TPBENCH_CHECK(cond, msg)                                                                   \
  do {                                                                                             \
    if (!(cond)) ::tpbench::throw_internal(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
  } while (0)
