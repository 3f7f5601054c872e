#pragma once
// The backend-neutral engine: continuous-batching scheduler and paged KV block manager, driving
// any backend's ModelRunner (which samples, with each sequence's SamplingRow). On the TP leader
// it plans each step, broadcasts the plan and stamps the tokens the runner returns; followers
// execute the broadcast plans in run_follower().
#include <memory>

#include "engine/comm/communicator.hpp"
#include "engine/engine.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

std::unique_ptr<Engine> make_batched_engine(std::unique_ptr<ModelRunner> runner,
                                            const EngineOptions& options, Communicator& comm);

}  // namespace tpbench
