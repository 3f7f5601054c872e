#pragma once
// Errors every part of tpbench shares. Bad input (a flag, a file, a record) is an InputError:
// main prints its one-line message and exits with kExitBadInput before any work starts.
#include <stdexcept>
#include <string>

namespace tpbench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;   // the run started but did not complete
inline constexpr int kExitBadInput = 2;    // bad flag, file, dataset, checkpoint
inline constexpr int kExitTimeout = 3;     // --timeout ended the run: a planned end, not a fault

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken internal invariant; message carries file:line.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_internal(const char* file, int line, const std::string& what);

}  // namespace tpbench

#define TPBENCH_CHECK(cond, msg)                                                    \
  do {                                                                              \
    if (!(cond)) ::tpbench::throw_internal(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
  } while (0)
