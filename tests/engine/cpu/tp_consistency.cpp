// Under mpirun -np N: every tiny model (the InternLM families' too: at TP 4, internlm2's KV
// heads are replicated) and stories260K split over N ranks (MpiCommunicator on
// MPI_COMM_WORLD) gives the logits of the same model on one rank, within 1e-4 relative, on a
// batched plan sequence mixing prefill chunks and decodes. Exit code 0 when all agree.
#include <mpi.h>

#include <cstdio>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {

int check_model(const std::string& dir, Communicator& world) {
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = dir;
  options.local_size = world.size();  // the ranks of this test share the node's cores
  SingleRankCommunicator single;
  CpuModelRunner whole(options, single), split(options, world);
  const test::LogitsByPosition want = test::run_scenario(whole, true, 4);
  const test::LogitsByPosition got = test::run_scenario(split, true, 4);
  double worst = 0;
  for (const auto& [key, logits] : want) {
    if (!got.count(key)) return 1;
    worst = std::max(worst, test::relative_error(got.at(key).data(), logits.data(), logits.size()));
  }
  const bool ok = got.size() == want.size() && worst <= 1e-4;
  if (world.rank() == 0)
    std::printf("%s tp %d: %zu logit rows, max relative error %.2e %s\n", dir.c_str(), world.size(),
                want.size(), worst, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int failures = 0;
  try {
    tpbench::MpiCommunicator world(MPI_COMM_WORLD);
    std::vector<std::string> dirs;
    if (world.rank() == 0) tpbench::test::stories260k_dir();
    auto variants = tpbench::test::tiny_model_variants();
    for (const auto& family : tpbench::test::family_model_variants()) variants.push_back(family);
    for (const auto& [name, args] : variants)
      if (world.rank() == 0) tpbench::test::tiny_model_dir(name, args);
    world.barrier();
    dirs.push_back(tpbench::test::stories260k_dir());
    for (const auto& [name, args] : variants)
      dirs.push_back(tpbench::test::tiny_model_dir(name, args));
    for (const std::string& dir : dirs) failures += tpbench::check_model(dir, world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tp_consistency: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
