#include "coordinator/orchestrator/coordinator_core.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "common/error.hpp"

namespace tpbench {
namespace {

// After --timeout a leader finishes its current step, then stops; a step longer than
// --heartbeat-timeout is reported as stuck first.
constexpr double kStopGraceExtraS = 5;
// Every engine is built: the start barrier should pass in milliseconds.
constexpr int64_t kBarrierGraceNs = 10'000'000'000;

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::string tenths(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

int64_t to_ns(double s) {
  return static_cast<int64_t>(s * 1e9);
}

std::string error_line(const std::string& text) {
  return "profile_throughput: error: " + text;
}

}  // namespace

CoordinatorCore::CoordinatorCore(CoordinatorPlan plan, std::vector<WorkloadRequest> requests)
    : plan_(std::move(plan)), requests_(std::move(requests)), collector_(requests_.size()) {
  const wire::Topology& topo = plan_.topology;
  run_.options = plan_.options;
  run_.backend = plan_.backend;
  run_.world_size = topo.world_size;
  run_.rank_hosts = plan_.rank_hosts;
  run_.open_loop = has_schedule(requests_);
  ranks_.resize(topo.world_size);
  for (int rank = 0; rank < topo.world_size; ++rank)
    if (topo.replica_of(rank) >= 0) ++engine_ranks_;
  replicas_.reserve(topo.replicas);
  for (int k = 0; k < topo.replicas; ++k) {
    ReplicaState r;
    r.replica = k;
    r.leader_rank = topo.leader_of(k);
    r.ranks = topo.ranks_of(k);
    r.host = plan_.rank_hosts.at(r.leader_rank);
    r.slots = plan_.slots.at(k);
    replicas_.push_back(std::move(r));
  }
  // The core pushes scheduled requests itself only under dynamic dispatch; statically each
  // leader gets its whole shard in go.
  open_loop_ = plan_.options.dispatch == Dispatch::kDynamic && run_.open_loop;
  if (open_loop_) {
    schedule_.resize(requests_.size());
    std::iota(schedule_.begin(), schedule_.end(), uint64_t{0});
    std::stable_sort(schedule_.begin(), schedule_.end(), [this](uint64_t a, uint64_t b) {
      return requests_[a].scheduled_ns < requests_[b].scheduled_ns;
    });
    sent_to_.assign(topo.replicas, 0);
    in_flight_.assign(topo.replicas, 0);
    // As static dispatch: replicas without a slot take no requests (unless none has one).
    const bool any_slots =
        std::any_of(plan_.slots.begin(), plan_.slots.end(), [](int s) { return s > 0; });
    takes_requests_.assign(topo.replicas, false);
    for (int k = 0; k < topo.replicas; ++k) {
      takes_requests_[k] = !any_slots || plan_.slots.at(k) > 0;
      if (takes_requests_[k]) by_load_.insert({0, k});
    }
  }
}

void CoordinatorCore::handle(int64_t now, coord::Event event, std::vector<coord::Action>& out) {
  const bool taken_after_end = std::holds_alternative<coord::Records>(event) ||
                               std::holds_alternative<coord::Interrupted>(event);
  if (ended_ && !taken_after_end) return;
  now_ = now;
  out_ = &out;
  std::visit([this](auto& e) { on(e); }, event);
  out_ = nullptr;
}

std::string CoordinatorCore::describe_rank(int rank) const {
  std::string s = "rank " + std::to_string(rank);
  int replica = plan_.topology.replica_of(rank);
  if (replica >= 0)
    s += " (replica " + std::to_string(replica);
  else
    s += " (coordinator";
  if (rank >= 0 && static_cast<size_t>(rank) < plan_.rank_hosts.size())
    s += ", host " + plan_.rank_hosts[rank];
  return s + ")";
}

// ---- Control socket ---------------------------------------------------------------------

void CoordinatorCore::on(coord::Control& e) {
  const int rank = e.rank;
  if (rank < 0 || rank >= static_cast<int>(ranks_.size())) {
    warn("message from an unidentified peer ignored");
    return;
  }
  ranks_[rank].last_seen_ns = now_;
  std::visit([this, rank](auto& payload) { on_control(rank, payload); }, e.payload);
}

void CoordinatorCore::on_control(int rank, coord::Malformed& bad) {
  const std::string line = describe_rank(rank) + " sent a malformed message: " + bad.error;
  if (phase_ == Phase::kStarting)
    refuse_start(rank, line);
  else
    fault(line);
}

void CoordinatorCore::on_control(int rank, coord::OtherVersion& other) {
  version_mismatch(rank, other.version);
}

void CoordinatorCore::on_control(int rank, coord::ClaimsOtherRank& claim) {
  warn(describe_rank(rank) + " claimed to be rank " + std::to_string(claim.claimed) + "; ignored");
}

void CoordinatorCore::on_control(int rank, coord::UnexpectedKind& unexpected) {
  warn(describe_rank(rank) + " sent an unexpected " + wire::kind_name(unexpected.kind) +
       " message");
}

void CoordinatorCore::on_control(int rank, coord::Hello& hello) {
  RankState& rs = ranks_[rank];
  if (!rs.hello && plan_.topology.replica_of(rank) >= 0) ++hellos_;
  rs.hello = true;
  if (hello.connection >= 0) connection_rank_[hello.connection] = rank;
  check_start();
}

void CoordinatorCore::on_control(int rank, wire::HeartbeatMsg& beat) {
  ranks_[rank].engine_ready = beat.engine_ready;
  if (!beat.gpu.empty()) run_.rank_gpus[rank] = beat.gpu.front();
  const double limit_s = plan_.options.heartbeat_timeout_s;
  if (plan_.topology.is_leader(rank) && running() && beat.in_step_ns > to_ns(limit_s))
    fault(describe_rank(rank) +
          " is stuck in one engine step: " + seconds(static_cast<double>(beat.in_step_ns) / 1e9) +
          " without finishing it (--heartbeat-timeout " + seconds(limit_s) + ")");
}

void CoordinatorCore::on_control(int rank, wire::ByeMsg& bye) {
  ranks_[rank].bye = true;
  if (bye.exit_code != 0 && running())
    fault(describe_rank(rank) + " failed (exit code " + std::to_string(bye.exit_code) + ")");
}

void CoordinatorCore::on_control(int rank, wire::ReadyMsg& ready) {
  if (!plan_.topology.is_leader(rank)) return;
  ReplicaState& r = replicas_[plan_.topology.replica_of(rank)];
  if (!r.ready) ++ready_replicas_;
  r.ready = true;
  r.engine = ready.engine;
  r.startup_s = ready.build_seconds;
  if (start_aborted_) send_abort(rank, "the run did not start");
  check_start();
}

void CoordinatorCore::on_control(int rank, wire::ErrorMsg& err) {
  const int replica = plan_.topology.replica_of(rank);
  if (phase_ != Phase::kStarting) {
    fault(describe_rank(rank) + " failed: " + err.message);
    return;
  }
  if (replica >= 0) replicas_[replica].failed = true;
  if (!start_aborted_) {
    start_aborted_ = true;
    for (const auto& r : replicas_)
      if (r.ready)
        send_abort(r.leader_rank, "replica " + std::to_string(replica) + " failed to start");
  }
  emit(coord::SetVerdict{{0, ""}});  // the failing rank reports its own error
}

void CoordinatorCore::on_control(int rank, wire::WorkRequestMsg& req) {
  if (open_loop_) return;  // the schedule decides
  if (plan_.topology.is_leader(rank) && phase_ == Phase::kRunning)
    serve_work(rank, req.max_requests);
}

void CoordinatorCore::on_control(int rank, wire::DoneMsg& done) {
  if (!plan_.topology.is_leader(rank)) return;
  ReplicaState& r = replicas_[plan_.topology.replica_of(rank)];
  r.done = true;
  r.records_sent = done.records_sent;
  r.stats = done.stats;
}

// A rank that cannot take part: the start is refused (or the run aborted once it started).
void CoordinatorCore::version_mismatch(int rank, uint32_t version) {
  const std::string line = describe_rank(rank) + " speaks tpbench wire protocol version " +
                           std::to_string(version) + ", the coordinator speaks version " +
                           std::to_string(wire::kProtocolVersion) +
                           ": every rank must run the same tpbench build";
  if (phase_ != Phase::kStarting)
    fault(line);
  else
    refuse_start(rank, line);
}

void CoordinatorCore::refuse_start(int rank, const std::string& line) {
  // A leader of another version still waits for go or abort: answer each of its messages.
  if (plan_.topology.is_leader(rank)) send_abort(rank, line);
  if (!start_aborted_) {
    start_aborted_ = true;
    for (const auto& r : replicas_)
      if (r.ready) send_abort(r.leader_rank, line);
  }
  emit(coord::SetVerdict{{kExitRunFailed, line}});
}

void CoordinatorCore::check_start() {
  if (phase_ != Phase::kStarting || start_aborted_) return;
  if (hellos_ < engine_ranks_ || ready_replicas_ < static_cast<int>(replicas_.size())) return;
  send_go();
  phase_ = Phase::kRunning;
  emit(coord::SetVerdict{{0, ""}});
}

void CoordinatorCore::send_go() {
  const uint64_t total = requests_.size();
  const bool dynamic = plan_.options.dispatch == Dispatch::kDynamic;
  std::vector<std::vector<uint64_t>> shards;
  if (!dynamic) shards = wire::shard_round_robin(total, plan_.slots);
  for (const auto& r : replicas_) {
    coord::SendGo go{r.leader_rank, {}};
    go.msg.dynamic = dynamic;
    go.msg.total_requests = total;
    if (!dynamic) {
      go.msg.shard.reserve(shards[r.replica].size());
      for (uint64_t i : shards[r.replica]) go.msg.shard.push_back(requests_[i]);
    }
    emit(std::move(go));
  }
}

void CoordinatorCore::serve_work(int rank, int max_requests) {
  const uint64_t total = requests_.size();
  coord::SendWork work{rank, {}};
  const uint64_t n =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(max_requests, 1)), total - next_request_);
  work.msg.requests.assign(requests_.begin() + static_cast<ptrdiff_t>(next_request_),
                           requests_.begin() + static_cast<ptrdiff_t>(next_request_ + n));
  next_request_ += n;
  work.msg.exhausted = next_request_ >= total;
  emit(std::move(work));
}

void CoordinatorCore::dispatch_due() {
  if (!open_loop_ || phase_ != Phase::kRunning || !t0_ || next_scheduled_ >= schedule_.size())
    return;
  const int64_t horizon = now_ - *t0_ + kOpenLoopLeadNs;
  std::map<int, wire::WorkMsg> batches;  // replica -> what it gets now
  while (next_scheduled_ < schedule_.size() &&
         requests_[schedule_[next_scheduled_]].scheduled_ns <= horizon) {
    const int replica = by_load_.begin()->second;
    by_load_.erase(by_load_.begin());
    ++sent_to_[replica];
    by_load_.insert({++in_flight_[replica], replica});
    batches[replica].requests.push_back(requests_[schedule_[next_scheduled_++]]);
  }
  if (next_scheduled_ == schedule_.size())
    for (const auto& r : replicas_) batches[r.replica].exhausted = true;
  for (auto& [replica, work] : batches)
    emit(coord::SendWork{replicas_[replica].leader_rank, std::move(work)});
}

void CoordinatorCore::update_load(int replica) {
  if (!takes_requests_[replica]) return;
  const uint64_t received = collector_.received_from(replica);
  const uint64_t now_in_flight = sent_to_[replica] > received ? sent_to_[replica] - received : 0;
  if (now_in_flight == in_flight_[replica]) return;
  by_load_.erase({in_flight_[replica], replica});
  in_flight_[replica] = now_in_flight;
  by_load_.insert({now_in_flight, replica});
}

// ---- Records socket ---------------------------------------------------------------------

void CoordinatorCore::on(coord::Records& e) {
  const int rank = e.rank;
  if (rank < 0 || !plan_.topology.is_leader(rank)) {
    warn("record batch from a rank that leads no replica ignored");
    return;
  }
  if (auto* bad = std::get_if<coord::Malformed>(&e.payload)) {
    fault(describe_rank(rank) + " sent a malformed record batch: " + bad->error);
    return;
  }
  if (auto* other = std::get_if<coord::OtherVersion>(&e.payload)) {
    version_mismatch(rank, other->version);
    return;
  }
  auto* batch = std::get_if<wire::RecordBatchMsg>(&e.payload);
  if (!batch) return;
  const int replica = plan_.topology.replica_of(rank);
  if (batch->replica != replica)
    warn(describe_rank(rank) + " sent records labelled replica " + std::to_string(batch->replica));
  collector_.add(replica, std::move(batch->records));
  if (open_loop_) update_load(replica);
}

// ---- Connections, time, signals ---------------------------------------------------------

void CoordinatorCore::on(coord::Listening&) {
  for (auto& r : ranks_) r.last_seen_ns = now_;
}

void CoordinatorCore::on(coord::ConnectionLost& e) {
  auto it = connection_rank_.find(e.connection);
  if (it == connection_rank_.end()) return;
  const int rank = it->second;
  connection_rank_.erase(it);
  if (ranks_[rank].bye || phase_ == Phase::kFinished) return;
  fault(describe_rank(rank) + " died: its connection to the coordinator closed",
        /*await_signal=*/true);
}

void CoordinatorCore::on(coord::Started& e) {
  t0_ = e.t0;
}

void CoordinatorCore::on(coord::Tick&) {
  check_liveness();
  if (ended_ || !running()) return;
  dispatch_due();
  check_finished();
}

// SIGINT or SIGTERM (docs/CLI.md "Interrupts"): one line, the reports of what finished, exit
// 128 + signo at once (under mpirun SIGKILL follows about a second later).
void CoordinatorCore::on(coord::Interrupted& e) {
  coord::RunEnd end;
  end.code = 128 + e.signo;
  end.reason = "interrupted by " + e.signal_name;
  end.how = coord::EndHow::kExitNow;
  end.console_line = "profile_throughput: " + end.reason + " with " +
                     std::to_string(collector_.received()) + " of " +
                     std::to_string(collector_.total()) +
                     " requests done: the reports are marked incomplete (exit code " +
                     std::to_string(end.code) + ")";
  end.write_reports = phase_ != Phase::kFinished;
  this->end(std::move(end));
}

void CoordinatorCore::on(coord::InternalError& e) {
  fault("coordinator: " + e.what);
}

void CoordinatorCore::check_liveness() {
  if (phase_ == Phase::kFinished) return;
  const double limit_s = plan_.options.heartbeat_timeout_s;
  for (int rank = 0; rank < static_cast<int>(ranks_.size()); ++rank) {
    if (plan_.topology.replica_of(rank) < 0) continue;
    const RankState& rs = ranks_[rank];
    if (rs.bye || now_ - rs.last_seen_ns <= to_ns(limit_s)) continue;
    if (!rs.hello)
      fault(describe_rank(rank) + " never connected to the coordinator at " +
            plan_.control_endpoint + " within --heartbeat-timeout " + seconds(limit_s) +
            " (check --coordinator-addr)");
    else
      fault(describe_rank(rank) + " stopped answering: no heartbeat for " + seconds(limit_s) +
            " (--heartbeat-timeout)");
    return;
  }
  check_startup();
  if (!ended_) check_timeout();
}

std::string CoordinatorCore::ranks_still_starting() const {
  std::string list;
  for (int rank = 0; rank < static_cast<int>(ranks_.size()); ++rank) {
    const int replica = plan_.topology.replica_of(rank);
    if (replica < 0) continue;
    const bool ready =
        plan_.topology.is_leader(rank) ? replicas_[replica].ready : ranks_[rank].engine_ready;
    if (ready) continue;
    if (!list.empty()) list += ", ";
    list += describe_rank(rank);
  }
  return list;
}

// Start-up (engine build: weights, KV cache, warm-up, graph capture) has its own limit; a rank
// inside a long load still heartbeats, so only this limit catches one that never gets ready.
void CoordinatorCore::check_startup() {
  const double limit_s = plan_.options.startup_timeout_s;
  if (limit_s <= 0 || t0_) return;
  const int64_t limit_ns = to_ns(limit_s);
  if (now_ <= limit_ns) return;
  const std::string starting = ranks_still_starting();
  const std::string after = tenths(static_cast<double>(now_) / 1e9);
  if (!starting.empty())
    fault(starting + " still starting after " + after + " (--startup-timeout " + seconds(limit_s) +
          ")");
  else if (now_ > limit_ns + kBarrierGraceNs)
    fault("every rank is ready but the start barrier has not passed after " + after +
          " (--startup-timeout " + seconds(limit_s) + ")");
}

void CoordinatorCore::check_timeout() {
  const double heartbeat_s = plan_.options.heartbeat_timeout_s;
  if (phase_ == Phase::kStopping && now_ > stop_deadline_ns_) {
    std::string late;
    for (const auto& r : replicas_) {
      if (r.done) continue;
      if (!late.empty()) late += ", ";
      late += describe_rank(r.leader_rank);
    }
    fault(stop_reason_ + ", but " + late + " did not stop within " +
          seconds(heartbeat_s + kStopGraceExtraS) + ": aborting the MPI job");
    return;
  }
  const double limit_s = plan_.options.timeout_s;
  if (phase_ != Phase::kRunning || limit_s <= 0 || !t0_) return;
  if (now_ - *t0_ > to_ns(limit_s)) begin_stop();
}

// --timeout is a planned end: every leader takes no more requests, abandons those in flight and
// sends done; the reports cover what ended and every rank leaves through MPI_Finalize.
void CoordinatorCore::begin_stop() {
  stop_reason_ = "ended by --timeout after " + seconds(plan_.options.timeout_s);
  emit(coord::Notice{"profile_throughput: " + stop_reason_ + " with " +
                     std::to_string(collector_.received()) + " of " +
                     std::to_string(collector_.total()) +
                     " requests done: stopping every replica; the reports are marked "
                     "incomplete (exit code " +
                     std::to_string(kExitTimeout) + ")"});
  for (const auto& r : replicas_)
    if (!r.done) emit(coord::SendStop{r.leader_rank, stop_reason_});
  phase_ = Phase::kStopping;
  stop_deadline_ns_ = now_ + to_ns(plan_.options.heartbeat_timeout_s + kStopGraceExtraS);
}

void CoordinatorCore::check_finished() {
  for (const auto& r : replicas_)
    if (!r.done || collector_.received_from(r.replica) < r.records_sent) return;
  coord::RunEnd end;
  end.complete = collector_.received() == collector_.total() && collector_.rejected() == 0;
  const bool timed_out = !end.complete && collector_.rejected() == 0 && !stop_reason_.empty();
  if (collector_.rejected() > 0)
    end.reason = std::to_string(collector_.rejected()) +
                 " records rejected, first: " + collector_.first_rejection();
  else if (timed_out)
    end.reason = stop_reason_;
  else if (!end.complete)
    end.reason = "only " + std::to_string(collector_.received()) + " of " +
                 std::to_string(collector_.total()) + " requests were reported";
  if (!end.complete && !timed_out) end.console_line = error_line(end.reason);
  end.code = end.complete ? kExitOk : timed_out ? kExitTimeout : kExitRunFailed;
  phase_ = Phase::kFinished;
  this->end(std::move(end));
}

// A fault ends the run with one line naming the rank, the reports marked incomplete, and an
// abort of the job.
void CoordinatorCore::fault(const std::string& fault_line, bool await_signal) {
  // While the replicas stop after --timeout (a leader stuck in a step cannot stop) the planned
  // end becomes an abort, and the line says both.
  const std::string line = phase_ == Phase::kStopping && fault_line.rfind(stop_reason_, 0) != 0
                               ? stop_reason_ + ", then " + fault_line
                               : fault_line;
  coord::RunEnd end;
  end.code = kExitRunFailed;
  end.reason = line;
  end.how = coord::EndHow::kAbort;
  end.console_line = error_line(line);
  end.write_reports = phase_ != Phase::kFinished;  // a start-up fault is reported too
  end.await_signal = await_signal;
  this->end(std::move(end));
}

void CoordinatorCore::end(coord::RunEnd end) {
  ended_ = true;
  emit(std::move(end));
}

}  // namespace tpbench
