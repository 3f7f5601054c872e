// Under mpirun -np N: each PyTorch checkpoint fixture split over N ranks gives exactly the logits
// and greedy ids of its safetensors twin split the same way (every rank reads its own rows and
// columns out of the .bin views: offsets, strides, shared storages). Exit code 0 when all agree.
#include <mpi.h>

#include <cstdio>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {

int check_fixture(const std::string& fixture, Communicator& world) {
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.local_size = world.size();
  options.model_dir = test::torch_bin_model_dir(fixture);
  CpuModelRunner bin(options, world);
  options.model_dir = test::torch_bin_twin_dir(fixture);
  CpuModelRunner twin(options, world);
  const test::LogitsByPosition want = test::run_scenario(twin, true, 4);
  const test::LogitsByPosition got = test::run_scenario(bin, true, 4);
  int differing = 0, greedy_differing = 0;
  for (const auto& [key, logits] : want) {
    auto it = got.find(key);
    if (it == got.end() || it->second != logits) ++differing;
    if (it == got.end() ||
        test::argmax(it->second.data(), static_cast<int64_t>(it->second.size())) !=
            test::argmax(logits.data(), static_cast<int64_t>(logits.size())))
      ++greedy_differing;
  }
  const bool ok = got.size() == want.size() && differing == 0 && greedy_differing == 0;
  if (world.rank() == 0)
    std::printf("%s tp %d: %zu logit rows, %d differ from safetensors, %d greedy ids differ %s\n",
                fixture.c_str(), world.size(), want.size(), differing, greedy_differing,
                ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int failures = 0;
  try {
    tpbench::MpiCommunicator world(MPI_COMM_WORLD);
    if (world.rank() == 0)
      for (const std::string& f : tpbench::test::torch_bin_fixtures())
        tpbench::test::torch_bin_model_dir(f);
    world.barrier();
    for (const std::string& f : tpbench::test::torch_bin_fixtures())
      failures += tpbench::check_fixture(f, world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "torch_checkpoint_tp: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
