#pragma once
// The progress line on stderr: done/total, elapsed, output tok/s over the last interval, ETA.
// Once a second on a terminal, every 5 s otherwise (under mpirun stderr is a pipe; Slurm logs
// stay short).
#include <cstdint>
#include <cstdio>

namespace tpbench {

class ProgressPrinter {
 public:
  ProgressPrinter(std::FILE* out, bool is_terminal);
  // now_ns: since t0. Prints when the interval has passed.
  void update(int64_t now_ns, uint64_t done, uint64_t total, int64_t output_tokens);

 private:
  std::FILE* out_;
  int64_t interval_ns_;
  int64_t last_ns_ = 0;
  int64_t last_tokens_ = 0;
};

}  // namespace tpbench
