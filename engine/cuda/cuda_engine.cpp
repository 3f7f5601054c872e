#include "engine/cuda/cuda_engine.hpp"

#include "engine/cuda/cuda_model_runner.hpp"
#include "engine/scheduler/batched_engine.hpp"

namespace tpbench {

std::unique_ptr<Engine> make_cuda_engine(const EngineOptions& options, Communicator& comm) {
  return make_batched_engine(std::make_unique<CudaModelRunner>(options, comm), options, comm);
}

}  // namespace tpbench
