#pragma once
// One worker rank's part of the run: connect to the coordinator, build the engine, then either
// lead the replica (closed loop, records) or follow it (engine->run_follower()).
#include <mpi.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/run_options.hpp"
#include "common/wire/topology.hpp"
#include "common/wire/transport.hpp"
#include "engine/engine.hpp"
#include "worker/step_watch.hpp"

namespace tpbench {

class CoordinatorLink;
class PresenceThread;

// A rank's outcome of a phase: 0 ok, kExitBadInput (2) or kExitRunFailed (1) with one line.
using WorkerStatus = ExitStatus;

struct WorkerSetup {
  RunOptions options;
  wire::Topology topology;
  int rank = 0;
  int local_rank = 0;  // among the engine ranks of this node
  int local_size = 1;
  std::string host;
  Backend backend = Backend::kAuto;  // resolved: never kAuto
  std::vector<int> slots;            // per replica
  MPI_Comm replica_comm = MPI_COMM_NULL;
  MPI_Comm node_comm = MPI_COMM_NULL;  // the engine ranks of this node (local_rank's)
};

class RankWorker {
 public:
  RankWorker(WorkerSetup setup, const wire::Endpoints& endpoints, wire::CurveKeys keys);
  ~RankWorker();

  // Builds the engine. A leader reports ready (or the error) to the coordinator and waits for
  // go or abort. Never throws.
  WorkerStatus prepare();
  // After the start barrier: the leader's loop or the follower's. Never throws.
  WorkerStatus run(const RunClock& clock);
  // Says bye to the coordinator and closes every connection.
  void finish(int exit_code);

  bool is_leader() const;

 private:
  WorkerSetup setup_;
  wire::Endpoints endpoints_;
  wire::CurveKeys keys_;
  uint32_t version_;
  zmq::context_t context_;
  StepWatch step_watch_;  // outlives presence_, which reads it
  std::unique_ptr<PresenceThread> presence_;
  std::unique_ptr<CoordinatorLink> link_;
  std::unique_ptr<Engine> engine_;
  bool go_received_ = false;
  wire::GoMsg go_;
};

// Every request's sampling parameters, from the command line.
SamplingParams sampling_params_for(const RunOptions& o);

// options.engine with what the worker knows: the resolved backend, the batch size when
// --max-batch-size is 0 (the replica's slots), the seed, the GPU slot and greedy_only.
EngineOptions engine_options_for(const RunOptions& options, Backend backend, int replica_slots,
                                 int local_rank, int local_size = 1);

// The open-loop arrival thread's spin before each arrival: ArrivalThread::kDefaultSpinNs when the
// node has at least 2 cores per engine rank, else 0. A spinning thread on an oversubscribed node
// is scheduled as a CPU hog and falls behind; there a plain timed wait is taken in sooner
// (docs/PERFORMANCE.md "Arrival lag").
int64_t arrival_spin_ns_for(int engine_ranks_on_node,
                            unsigned cores = std::thread::hardware_concurrency());

}  // namespace tpbench
