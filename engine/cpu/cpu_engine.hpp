#pragma once
#include <memory>

#include "engine/comm/communicator.hpp"
#include "engine/engine.hpp"

namespace tpbench {

// fp32 Llama-family engine on the host: CpuModelRunner under the batched engine.
std::unique_ptr<Engine> make_cpu_engine(const EngineOptions& options, Communicator& comm);

}  // namespace tpbench
