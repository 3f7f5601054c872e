#include "engine/sim/sim_engine.hpp"

#include "engine/scheduler/batched_engine.hpp"
#include "engine/sim/sim_model_runner.hpp"

namespace tpbench {

std::unique_ptr<Engine> make_sim_engine(const EngineOptions& options, Communicator& comm) {
  return make_batched_engine(std::make_unique<SimModelRunner>(options, comm), options, comm);
}

}  // namespace tpbench
