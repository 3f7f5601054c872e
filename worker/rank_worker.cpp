#include "worker/rank_worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "common/error.hpp"
#include "common/log.hpp"
#include "worker/coordinator_link.hpp"
#include "worker/leader.hpp"
#include "worker/presence.hpp"
#include "worker/test_hooks.hpp"

namespace tpbench {

SamplingParams sampling_params_for(const RunOptions& o) {
  SamplingParams p;
  p.top_k = o.top_k;
  p.top_p = static_cast<float>(o.top_p);
  p.temperature = static_cast<float>(o.temperature);
  p.seed = static_cast<uint64_t>(o.seed);
  return p;
}

EngineOptions engine_options_for(const RunOptions& o, Backend backend, int replica_slots,
                                 int local_rank, int local_size) {
  EngineOptions e = o.engine;
  e.backend = backend;
  if (e.max_batch_size == 0) e.max_batch_size = std::max(1, replica_slots);
  e.seed = static_cast<uint64_t>(o.seed);
  e.local_rank = local_rank;
  e.local_size = local_size;
  e.greedy_only = is_greedy(sampling_params_for(o));
  return e;
}

int64_t arrival_spin_ns_for(int engine_ranks_on_node, unsigned cores) {
  return cores >= 2u * static_cast<unsigned>(std::max(engine_ranks_on_node, 1))
             ? ArrivalThread::kDefaultSpinNs
             : 0;
}

RankWorker::RankWorker(WorkerSetup setup, const wire::Endpoints& endpoints, wire::CurveKeys keys)
    : setup_(std::move(setup)),
      endpoints_(endpoints),
      keys_(std::move(keys)),
      version_(protocol_version_for_rank(setup_.rank)) {}

RankWorker::~RankWorker() {
  finish(kExitRunFailed);
}

bool RankWorker::is_leader() const {
  return setup_.topology.is_leader(setup_.rank);
}

WorkerStatus RankWorker::prepare() {
  const int replica = setup_.topology.replica_of(setup_.rank);
  wire::HelloMsg hello;
  hello.protocol_version = version_;
  hello.rank = setup_.rank;
  hello.replica = replica;
  hello.role = is_leader() ? "leader" : "follower";
  hello.host = setup_.host;
  hello.pid = static_cast<int32_t>(::getpid());
  WorkerStatus status;
  try {
    presence_ = std::make_unique<PresenceThread>(context_, endpoints_, keys_, hello, version_, 1.0,
                                                 is_leader() ? &step_watch_ : nullptr);
    if (is_leader())
      link_ = std::make_unique<CoordinatorLink>(context_, endpoints_, keys_, setup_.rank, version_);
  } catch (const std::exception& e) {
    return {kExitRunFailed,
            "rank " + std::to_string(setup_.rank) + ": cannot reach the coordinator: " + e.what()};
  }

  auto started = SteadyClock::now();
  try {
    EngineOptions engine_options =
        engine_options_for(setup_.options, setup_.backend, setup_.slots[replica], setup_.local_rank,
                           setup_.local_size);
    engine_options.replica = replica;
    if (!engine_options.step_profile_out.empty() && setup_.slots.size() > 1)
      engine_options.step_profile_out += ".replica" + std::to_string(replica);
    engine_ = make_replica_engine(engine_options, MPI_Comm_c2f(setup_.replica_comm),
                                  MPI_Comm_c2f(setup_.node_comm));
  } catch (const InputError& e) {
    status = {kExitBadInput, e.what()};
  } catch (const std::exception& e) {
    status = {kExitRunFailed, "rank " + std::to_string(setup_.rank) + ": engine: " + e.what()};
  }
  if (status.code == 0) {
    slow_start_hook(setup_.rank);
    presence_->set_engine_ready(engine_->device());
  }
  if (!is_leader()) return status;

  try {
    if (status.code != 0) {
      link_->send_error({replica, status.code, status.message});
      return status;
    }
    wire::ReadyMsg ready;
    ready.replica = replica;
    ready.slots = setup_.slots[replica];
    ready.engine = engine_->describe();
    ready.build_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    link_->send_ready(ready);
    auto answer = link_->wait_start();
    if (auto* go = std::get_if<wire::GoMsg>(&answer)) {
      go_ = std::move(*go);
      go_received_ = true;
    }
  } catch (const std::exception& e) {
    status = {kExitRunFailed, "rank " + std::to_string(setup_.rank) + ": " + e.what()};
  }
  return status;
}

WorkerStatus RankWorker::run(const RunClock& clock) {
  arm_fault_hooks(setup_.rank);
  if (is_leader()) engine_ = wrap_with_fault_hooks(setup_.rank, std::move(engine_));
  const int replica = setup_.topology.replica_of(setup_.rank);
  if (!is_leader()) {
    try {
      engine_->run_follower();
      return {};
    } catch (const std::exception& e) {
      log_error(std::string("follower engine: ") + e.what());
      return {kExitRunFailed, e.what()};
    }
  }
  try {
    TPBENCH_CHECK(go_received_, "leader started without a go from the coordinator");
    LeaderConfig config;
    config.replica = replica;
    config.slots = setup_.slots[replica];
    // Open loop only (the arrival thread); in a closed loop the slots are the limit.
    if (setup_.options.max_concurrency > 0) config.max_in_flight = setup_.slots[replica];
    config.arrival_spin_ns = arrival_spin_ns_for(setup_.local_size);
    config.stream_output = setup_.options.stream_output;
    config.record_tokens = setup_.options.record_tokens;
    config.sampling = sampling_params_for(setup_.options);
    config.step_watch = &step_watch_;
    config.stop = link_.get();
    LeaderResult result =
        run_leader_loop(*engine_, config, std::move(go_), *link_, link_.get(), clock);
    engine_->shutdown();
    wire::DoneMsg done;
    done.replica = replica;
    done.records_sent = result.records_sent;
    done.stats = engine_->stats();
    link_->send_done(done);
    return {};
  } catch (const std::exception& e) {
    std::string msg = std::string("leader of replica ") + std::to_string(replica) + ": " + e.what();
    log_error(msg);
    try {
      link_->send_error({replica, kExitRunFailed, msg});
    } catch (...) {
    }
    return {kExitRunFailed, msg};
  }
}

void RankWorker::finish(int exit_code) {
  link_.reset();
  if (presence_) presence_->stop(exit_code);
  presence_.reset();
}

}  // namespace tpbench
