// The CPU engine (scheduler + CpuModelRunner) under mpirun -np TP on contexts past
// max_position_embeddings (dynamic RoPE) and past the sliding window: each request's greedy ids
// must equal tests/engine/cpu/reference_forward.py --greedy (float64, its own prompt-length base).
// usage: engine_long_context_e2e [KV_BLOCKS]  (KV_BLOCKS > 0: a cache of that many 8-token
// blocks, too small for both requests at once, so the run must preempt and recompute)
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/cpu/cpu_engine.hpp"
#include "engine/model/model_config.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

const std::string kShape = "--layers 3 --dim 64 --heads 8 --intermediate 96 --vocab 128 ";
const std::vector<std::pair<std::string, std::string>> kModels = {
    {"tiny-llama-dynamic2", kShape + "--kv-heads 4 --max-position 64 --rope-scaling-dynamic 2 "
                                     "--seed 11"},
    {"tiny-mistral-window16", kShape + "--model-type mistral --kv-heads 2 --sliding-window 16 "
                                       "--seed 12"},
    {"tiny-qwen2-window16-from-layer1-dynamic4-v5",
     kShape + "--model-type qwen2 --kv-heads 2 --max-position 64 --rope-scaling-dynamic 4 "
              "--rope-parameters --sliding-window 16 --max-window-layers 1 --seed 13"},
};

struct Case {
  EngineRequest request;
  std::vector<int32_t> want;
};

// A 100-token prompt (past max_position_embeddings 64) and a 40-token one that generates past
// position 64 (TurboMind keeps the plain base for it).
std::vector<Case> cases(const std::string& model_dir) {
  std::vector<Case> out(2);
  uint32_t state = 4242;
  for (int r = 0; r < 2; ++r) {
    EngineRequest& q = out[r].request;
    q.id = 500 + r;
    q.max_new_tokens = r == 0 ? 24 : 40;
    q.sampling.top_k = 1;
    for (int i = 0; i < (r == 0 ? 100 : 40); ++i) {
      state = state * 1664525u + 1013904223u;
      q.prompt.push_back(static_cast<int32_t>((state >> 8) % 128));
    }
    const std::string ids = model_dir + ".greedy." + std::to_string(::getpid()) + ".txt";
    std::string cmd = std::string(TPBENCH_PYTHON) + " " + TPBENCH_SOURCE_DIR +
                      "/tests/engine/cpu/reference_forward.py --greedy " +
                      std::to_string(q.max_new_tokens) + " '" + model_dir + "' '" + ids + "'";
    for (int32_t t : q.prompt) cmd += ' ' + std::to_string(t);
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    std::ifstream in(ids);
    int32_t id;
    while (in >> id) out[r].want.push_back(id);
    std::remove(ids.c_str());
  }
  return out;
}

int run_model(const std::string& model_dir, int kv_blocks, Communicator& comm) {
  EngineOptions options;
  options.backend = Backend::kCpu;
  options.model_dir = model_dir;
  options.max_batch_size = 256;
  options.cache_block_seq_len = 8;
  options.max_prefill_tokens = 32;  // the 100-token prompt is prefilled in chunks
  options.local_size = comm.size();
  const ModelConfig c = load_model_config(model_dir);
  const int64_t kv_heads_local = std::max(1, c.num_kv_heads / comm.size());
  options.kv_cache_bytes = int64_t{kv_blocks > 0 ? kv_blocks : 64} * c.num_layers * 2 * 8 *
                           kv_heads_local * c.head_dim * static_cast<int64_t>(sizeof(float));
  std::unique_ptr<Engine> engine = make_cpu_engine(options, comm);
  if (comm.rank() != 0) {
    engine->run_follower();
    return 0;
  }
  std::vector<Case> all = cases(model_dir);
  for (const Case& k : all) engine->add(k.request);
  auto [generated, failures] = test::run_to_completion(*engine);
  const EngineStats stats = engine->stats();
  std::printf("%s\n", engine->describe().c_str());
  engine->shutdown();
  for (const Case& k : all) {
    const std::vector<int32_t>& ids = generated[k.request.id];
    size_t i = 0;
    while (i < ids.size() && i < k.want.size() && ids[i] == k.want[i]) ++i;
    const bool same = ids == k.want && !ids.empty();
    std::printf("  request %llu (prompt %zu): %zu tokens, %s\n",
                static_cast<unsigned long long>(k.request.id), k.request.prompt.size(), ids.size(),
                same ? "equal the reference's greedy ids"
                     : ("FIRST DIFFERENCE AT " + std::to_string(i)).c_str());
    failures += !same;
  }
  std::printf("  tp %d, %lld steps, %lld preemptions\n", comm.size(),
              static_cast<long long>(stats.steps), static_cast<long long>(stats.preemptions));
  if (kv_blocks > 0 && stats.preemptions == 0) {
    std::printf("  expected preemptions with %d kv blocks\n", kv_blocks);
    ++failures;
  }
  return failures;
}

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int kv_blocks = argc > 1 ? std::atoi(argv[1]) : 0;
  int failures = 0;
  try {
    tpbench::MpiCommunicator world(MPI_COMM_WORLD);
    if (world.rank() == 0)
      for (const auto& [name, args] : tpbench::kModels) tpbench::test::tiny_model_dir(name, args);
    world.barrier();
    for (const auto& [name, args] : tpbench::kModels)
      failures += tpbench::run_model(tpbench::test::tiny_model_dir(name, args), kv_blocks, world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_long_context_e2e: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
