#pragma once
#include <memory>

#include "engine/comm/communicator.hpp"
#include "engine/engine.hpp"

namespace tpbench {

// --backend sim: SimModelRunner (no model; modelled step times, synthetic tokens) under the
// batched engine, so the scheduler, KV block manager and TP plan broadcast are the real ones.
std::unique_ptr<Engine> make_sim_engine(const EngineOptions& options, Communicator& comm);

}  // namespace tpbench
