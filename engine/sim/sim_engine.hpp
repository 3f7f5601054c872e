#pragma once
#include <memory>

#include "engine/comm/communicator.hpp"
#include "engine/engine.hpp"

namespace tpbench {

// No model: each step sleeps a modelled time and emits placeholder tokens.
std::unique_ptr<Engine> make_sim_engine(const EngineOptions& options, Communicator& comm);

}  // namespace tpbench
