// The whole CPU engine (make_cpu_engine: scheduler + CpuModelRunner) under mpirun -np TP:
// requests with prompt [1], 256 new tokens, top_k 1 on stories260K must each generate exactly
// the golden greedy ids. usage: engine_cpu_e2e REQUESTS [KV_BLOCKS]
// KV_BLOCKS > 0 sizes the cache (kv_cache_bytes) to that many 16-token blocks, too few for all
// requests at once, and then the run must have preempted.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/cpu/cpu_engine.hpp"
#include "engine/model/model_config.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {

int run(int requests, int kv_blocks, Communicator& comm) {
  EngineOptions options;
  options.backend = Backend::kCpu;
  options.model_dir = test::stories260k_dir();
  options.cache_block_seq_len = 16;
  options.max_prefill_tokens = 64;
  options.max_batch_size = 256;
  options.local_size = comm.size();  // the ranks of this test share the node's cores
  if (kv_blocks > 0) {
    const ModelConfig c = load_model_config(options.model_dir);
    const int64_t kv_heads_local = std::max(1, c.num_kv_heads / comm.size());
    options.kv_cache_bytes = int64_t{kv_blocks} * c.num_layers * 2 * 16 * kv_heads_local *
                             c.head_dim * static_cast<int64_t>(sizeof(float));
  }
  std::unique_ptr<Engine> engine = make_cpu_engine(options, comm);
  if (comm.rank() != 0) {
    engine->run_follower();
    return 0;
  }
  for (int r = 0; r < requests; ++r) {
    EngineRequest request;
    request.id = 1000 + r;
    request.prompt = {1};
    request.max_new_tokens = 256;
    request.sampling.top_k = 1;
    engine->add(request);
  }
  auto [generated, failures] = test::run_to_completion(*engine);
  const EngineStats stats = engine->stats();
  std::printf("%s\n", engine->describe().c_str());
  engine->shutdown();

  const std::vector<int32_t> golden = test::stories260k_golden_ids();
  for (int r = 0; r < requests; ++r) {
    const std::vector<int32_t>& ids = generated[1000 + r];
    if (ids != golden) {
      size_t i = 0;
      while (i < ids.size() && i < golden.size() && ids[i] == golden[i]) ++i;
      std::printf("request %d: %zu tokens, first difference at %zu\n", r, ids.size(), i);
      ++failures;
    }
  }
  std::printf("tp %d, %d requests, %lld kv blocks, %lld steps, %lld preemptions: %s\n", comm.size(),
              requests, static_cast<long long>(stats.kv_blocks_total),
              static_cast<long long>(stats.steps), static_cast<long long>(stats.preemptions),
              failures == 0 ? "all equal the golden ids" : "FAILED");
  if (kv_blocks > 0 && stats.preemptions == 0) {
    std::printf("expected preemptions with %d kv blocks\n", kv_blocks);
    ++failures;
  }
  return failures;
}

}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int requests = argc > 1 ? std::atoi(argv[1]) : 1;
  const int kv_blocks = argc > 2 ? std::atoi(argv[2]) : 0;
  int failures = 0;
  try {
    tpbench::MpiCommunicator world(MPI_COMM_WORLD);
    if (world.rank() == 0) tpbench::test::stories260k_dir();
    world.barrier();
    failures = tpbench::run(requests, kv_blocks, world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_cpu_e2e: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
