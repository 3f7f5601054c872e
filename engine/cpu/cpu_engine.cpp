#include "engine/cpu/cpu_engine.hpp"

#include "engine/cpu/cpu_model_runner.hpp"
#include "engine/scheduler/batched_engine.hpp"

namespace tpbench {

std::unique_ptr<Engine> make_cpu_engine(const EngineOptions& options, Communicator& comm) {
  return make_batched_engine(std::make_unique<CpuModelRunner>(options, comm), options, comm);
}

}  // namespace tpbench
