// Loads a ShareGPT file the way build_workload does and prints the time and peak RSS
// (scripts/bench_dataset.sh runs it on a ~650 MB file).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include "coordinator/workload/sharegpt_dataset.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SHAREGPT.json\n", argv[0]);
    return 2;
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    const tpbench::ShareGptDataset dataset = tpbench::load_sharegpt(argv[1]);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t text_bytes = 0;
    for (const auto& c : dataset.conversations) text_bytes += c.prompt.size() + c.completion.size();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("records %zu eligible %zu kept_text_mb %.1f load_s %.3f peak_rss_mb %.1f\n",
                dataset.records, dataset.conversations.size(), text_bytes / 1048576.0, seconds,
                usage.ru_maxrss / 1024.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}
