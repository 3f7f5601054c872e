#include "common/error.hpp"
#include "engine/engine.hpp"
#if TPBENCH_HAVE_CPU_BACKEND
#include "engine/cpu/cpu_engine.hpp"
#endif
#if TPBENCH_HAVE_SIM_BACKEND
#include "engine/sim/sim_engine.hpp"
#endif
#if TPBENCH_HAVE_CUDA_BACKEND
#include "engine/cuda/cuda_engine.hpp"
#endif
#if TPBENCH_HAVE_OPENAI_BACKEND
#include "engine/comm/communicator.hpp"
#include "engine/openai/openai_engine.hpp"
#endif

namespace tpbench {

std::unique_ptr<Engine> make_engine(const EngineOptions& options, Communicator& comm) {
  TPBENCH_CHECK(options.backend != Backend::kAuto, "make_engine: --backend auto not resolved");
#if TPBENCH_HAVE_SIM_BACKEND
  if (options.backend == Backend::kSim) return make_sim_engine(options, comm);
#endif
#if TPBENCH_HAVE_CPU_BACKEND
  if (options.backend == Backend::kCpu) return make_cpu_engine(options, comm);
#endif
#if TPBENCH_HAVE_CUDA_BACKEND
  if (options.backend == Backend::kCuda) return make_cuda_engine(options, comm);
#endif
#if TPBENCH_HAVE_OPENAI_BACKEND
  if (options.backend == Backend::kOpenAi) {
    if (comm.size() != 1)
      throw InputError("--tp " + std::to_string(comm.size()) +
                       ": --backend openai runs one client per engine rank (tp 1)");
    return make_openai_engine(options);
  }
#endif
  (void)comm;
  if (options.backend == Backend::kCuda)
    throw InputError(
        "--backend cuda: this build has no CUDA backend (configure with -DTPBENCH_CUDA=ON on a "
        "machine with the CUDA toolkit)");
  throw InputError("--backend " + std::string(name_of(options.backend)) +
                   ": not available in this build");
}

}  // namespace tpbench
