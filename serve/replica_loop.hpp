#pragma once
// A tpbench_serve replica's TP leader: connects to the front end's dispatcher (DEALER over
// CURVE, as a profile_throughput leader connects to its coordinator), says ready, then adds the
// requests it is sent to its engine, cancels what it is told to, steps the engine while anything
// is pending and sends each step's tokens and failures at once. It blocks on the socket while the
// engine is idle and only looks at it between steps while the engine is busy.
#include <zmq.hpp>

#include "common/error.hpp"
#include "common/wire/transport.hpp"
#include "engine/engine.hpp"

namespace tpbench::serve {

struct ReplicaLoopSetup {
  int rank = 0;     // this leader's world rank
  int replica = 0;  // its replica
  int slots = 0;    // its engine's batch (reported in ready)
  wire::Endpoints endpoints;
  wire::CurveKeys keys;
};

// Runs until the front end says stop, then shuts the engine down (its followers leave
// run_follower()) and answers done with the engine's stats. An engine that throws is reported
// (error: its in-flight requests fail there) and the loop waits for stop all the same.
ExitStatus run_replica_loop(zmq::context_t& context, Engine& engine, const ReplicaLoopSetup& setup);

}  // namespace tpbench::serve
