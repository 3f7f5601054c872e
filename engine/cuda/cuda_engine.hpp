#pragma once
#include <memory>

#include "engine/comm/communicator.hpp"
#include "engine/engine.hpp"

namespace tpbench {

// The GPU engine: CudaModelRunner under the batched engine (same scheduler, KV block manager
// and sampler as the cpu backend). comm: the replica's host (MPI) communicator.
std::unique_ptr<Engine> make_cuda_engine(const EngineOptions& options, Communicator& comm);

}  // namespace tpbench
