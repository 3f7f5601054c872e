#include "coordinator/orchestrator/coordinator.hpp"

#include <mpi.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "coordinator/orchestrator/launcher_watchdog.hpp"
#include "coordinator/orchestrator/progress.hpp"
#include "coordinator/orchestrator/termination.hpp"
#include "coordinator/report/output_file.hpp"
#include "coordinator/report/report.hpp"

namespace tpbench {
namespace {

constexpr const char* kMonitorEndpoint = "inproc://tpbench-coordinator-monitor";
constexpr int kPollMs = 50;
constexpr int kMaxBatchesPerPoll = 512;
// After --timeout a leader finishes its current step, then stops; a step longer than
// --heartbeat-timeout is reported as stuck first.
constexpr double kStopGraceExtraS = 5;

// The first of fault() and interrupt() ends the run; a second one exits at once.
std::atomic<bool> g_ending{false};

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

std::string endpoint_for(zmq::socket_t& socket, const CoordinatorConfig& config) {
  std::string ep = socket.get(zmq::sockopt::last_endpoint);  // tcp://ip:port
  if (config.bind_host == "*") {
    auto colon = ep.rfind(':');
    ep = "tcp://" + config.advertise_host + ep.substr(colon);
  }
  return ep;
}

}  // namespace

Coordinator::Coordinator(CoordinatorConfig config, Workload workload)
    : config_(std::move(config)),
      workload_(std::move(workload)),
      collector_(workload_.requests.size()),
      created_ns_(steady_now_ns()),
      router_(context_, zmq::socket_type::router),
      pull_(context_, zmq::socket_type::pull),
      monitor_(context_, zmq::socket_type::pair) {
  const wire::Topology& topo = config_.topology;
  run_.options = config_.options;
  run_.backend = config_.backend;
  run_.world_size = topo.world_size;
  run_.rank_hosts = config_.rank_hosts;
  ranks_.resize(topo.world_size);
  for (int k = 0; k < topo.replicas; ++k) {
    ReplicaState r;
    r.replica = k;
    r.leader_rank = topo.leader_of(k);
    r.ranks = topo.ranks_of(k);
    r.host = config_.rank_hosts.at(r.leader_rank);
    r.slots = config_.slots.at(k);
    replicas_.push_back(std::move(r));
  }

  server_keys_ = wire::make_curve_keys();
  std::map<std::string, std::string> allowed;
  for (const auto& [rank, key] : config_.client_keys) allowed[key] = "rank " + std::to_string(rank);
  zap_ = std::make_unique<wire::ZapAuthenticator>(context_, allowed);  // before any bind

  for (zmq::socket_t* s : {&router_, &pull_}) {
    s->set(zmq::sockopt::linger, 0);
    wire::configure_curve_server(*s, server_keys_);
  }
  pull_.set(zmq::sockopt::rcvhwm, 100000);
  try {
    router_.bind("tcp://" + config_.bind_host + ":*");
    pull_.bind("tcp://" + config_.bind_host + ":*");
  } catch (const zmq::error_t& e) {
    throw InputError("--coordinator-addr " + config_.bind_host +
                     ": cannot listen there: " + e.what());
  }
  if (zmq_socket_monitor(router_.handle(), kMonitorEndpoint, ZMQ_EVENT_DISCONNECTED) != 0)
    throw std::runtime_error(std::string("zmq_socket_monitor: ") + zmq_strerror(zmq_errno()));
  monitor_.connect(kMonitorEndpoint);
  endpoints_.control = endpoint_for(router_, config_);
  endpoints_.records = endpoint_for(pull_, config_);
  endpoints_.server_public_z85 = server_keys_.public_z85;
}

Coordinator::~Coordinator() {
  cancel();
  zap_.reset();
}

void Coordinator::start() {
  for (auto& r : ranks_) r.last_seen_ns = now_ns();
  thread_ = std::thread([this] { loop(); });
}

StartVerdict Coordinator::wait_verdict() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return verdict_.has_value(); });
  return *verdict_;
}

void Coordinator::set_start(int64_t t0_steady_ns, int64_t t0_skew_ns, std::string started_at) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    t0_skew_ns_ = t0_skew_ns;
    started_at_ = std::move(started_at);
  }
  t0_ns_ = t0_steady_ns;
}

int Coordinator::wait_finished() {
  if (thread_.joinable()) thread_.join();
  return exit_code_;
}

void Coordinator::cancel() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

int64_t Coordinator::now_ns() const {
  return steady_now_ns() - created_ns_;
}

void Coordinator::set_verdict(StartVerdict v) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (verdict_) return;
    verdict_ = std::move(v);
  }
  cv_.notify_all();
}

std::string Coordinator::describe_rank(int rank) const {
  std::string s = "rank " + std::to_string(rank);
  int replica = config_.topology.replica_of(rank);
  if (replica >= 0)
    s += " (replica " + std::to_string(replica);
  else
    s += " (coordinator";
  if (rank >= 0 && static_cast<size_t>(rank) < config_.rank_hosts.size())
    s += ", host " + config_.rank_hosts[rank];
  return s + ")";
}

int Coordinator::rank_of(const wire::Received& msg) const {
  // The ZAP handler stamped "rank N" on the connection: the sender cannot pick it.
  if (msg.user_id.rfind("rank ", 0) != 0) return -1;
  return std::atoi(msg.user_id.c_str() + 5);
}

void Coordinator::loop() {
  ProgressPrinter progress(stderr, ::isatty(STDERR_FILENO) != 0);
  int term_fd = termination_fd();
  if (term_fd >= 0) accept_interrupts_in_this_thread();
  try {
    while (!cancel_ && phase_ != Phase::kFinished) {
      zmq::pollitem_t items[4] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                  {pull_.handle(), 0, ZMQ_POLLIN, 0},
                                  {monitor_.handle(), 0, ZMQ_POLLIN, 0},
                                  {nullptr, term_fd, ZMQ_POLLIN, 0}};
      zmq::poll(items, term_fd >= 0 ? 4 : 3, std::chrono::milliseconds(kPollMs));
      // First: the other ranks got the same signal and their connections are closing.
      if (int signo = received_interrupt()) interrupt(signo);
      if (items[0].revents & ZMQ_POLLIN) drain_control();
      if (items[1].revents & ZMQ_POLLIN) take_pending_records();
      if (items[2].revents & ZMQ_POLLIN) handle_monitor_event();
      int64_t now = now_ns();
      check_liveness(now);
      if (phase_ == Phase::kRunning || phase_ == Phase::kStopping) {
        int64_t t0 = t0_ns_.load();
        if (t0 != 0)
          progress.update(steady_now_ns() - t0, collector_.received(), collector_.total(),
                          collector_.output_tokens());
        check_finished();
      }
    }
  } catch (const std::exception& e) {
    fault(std::string("coordinator: ") + e.what());
  }
}

void Coordinator::take_pending_records() {
  wire::Received msg;
  for (int i = 0; i < kMaxBatchesPerPoll &&
                  wire::receive_message(pull_, false, msg, zmq::recv_flags::dontwait);
       ++i)
    handle_records(msg);
  stream_requests();
}

// Appends the records that arrived since the last call to --requests-out, so that a SIGKILL
// loses at most the last poll's batches. The first call replaces an existing file.
void Coordinator::stream_requests() {
  const std::string& path = config_.options.requests_out_path;
  if (path.empty() || !requests_error_.empty()) return;
  const auto& records = collector_.records();
  try {
    if (!requests_started_) {
      write_file_atomically(path, [](std::ostream&) {});
      requests_started_ = true;
    }
    if (requests_streamed_ == records.size()) return;
    append_to_file(
        path, requests_jsonl_lines(records.data() + requests_streamed_,
                                   records.data() + records.size(), config_.options.record_tokens));
    requests_streamed_ = records.size();
  } catch (const std::exception& e) {
    requests_error_ = e.what();
    log_error(std::string("cannot write --requests-out: ") + e.what());
  }
}

void Coordinator::drain_control() {
  wire::Received msg;
  while (wire::receive_message(router_, true, msg, zmq::recv_flags::dontwait)) handle_control(msg);
}

void Coordinator::version_mismatch(int rank, uint32_t version) {
  std::string line = describe_rank(rank) + " speaks tpbench wire protocol version " +
                     std::to_string(version) + ", the coordinator speaks version " +
                     std::to_string(wire::kProtocolVersion) +
                     ": every rank must run the same tpbench build";
  if (phase_ != Phase::kStarting) fault(line);
  // A leader of another version still waits for go or abort: answer each of its messages.
  if (config_.topology.is_leader(rank)) send_abort_to(rank, line);
  if (!start_aborted_) {
    start_aborted_ = true;
    for (const auto& r : replicas_)
      if (r.ready) send_abort_to(r.leader_rank, line);
  }
  set_verdict({kExitRunFailed, line});
}

void Coordinator::handle_control(wire::Received& msg) {
  int rank = rank_of(msg);
  if (rank < 0 || rank >= static_cast<int>(ranks_.size())) {
    log_warn("message from an unidentified peer ignored");
    return;
  }
  RankState& rs = ranks_[rank];
  rs.last_seen_ns = now_ns();
  if (!msg.header_ok) {
    std::string line = describe_rank(rank) + " sent a malformed message: " + msg.header_error;
    if (phase_ == Phase::kStarting) {
      version_mismatch(rank, 0);
      return;
    }
    fault(line);
  }
  if (msg.header.version != wire::kProtocolVersion) {
    version_mismatch(rank, msg.header.version);
    return;
  }
  if (msg.header.rank != rank) {
    log_warn(describe_rank(rank) + " claimed to be rank " + std::to_string(msg.header.rank) +
             "; ignored");
    return;
  }
  const int replica = config_.topology.replica_of(rank);
  const bool leader = config_.topology.is_leader(rank);
  const void* data = msg.payload.data();
  const size_t size = msg.payload.size();
  switch (msg.kind()) {
    case wire::MsgKind::kHello: {
      auto hello = wire::decode_payload<wire::HelloMsg>(data, size);
      rs.hello = true;
      rs.host = hello.host;
      if (msg.source_fd >= 0) fd_to_rank_[msg.source_fd] = rank;
      check_start();
      break;
    }
    case wire::MsgKind::kHeartbeat: {
      auto beat = wire::decode_payload<wire::HeartbeatMsg>(data, size);
      const auto timeout_ns = static_cast<int64_t>(config_.options.heartbeat_timeout_s * 1e9);
      rs.engine_ready = beat.engine_ready;
      if (!beat.gpu.empty()) run_.rank_gpus[rank] = beat.gpu.front();
      const bool run_started = phase_ == Phase::kRunning || phase_ == Phase::kStopping;
      if (leader && run_started && beat.in_step_ns > timeout_ns)
        fault(describe_rank(rank) + " is stuck in one engine step: " +
              seconds(static_cast<double>(beat.in_step_ns) / 1e9) +
              " without finishing it (--heartbeat-timeout " +
              seconds(config_.options.heartbeat_timeout_s) + ")");
      break;
    }
    case wire::MsgKind::kBye: {
      auto bye = wire::decode_payload<wire::ByeMsg>(data, size);
      rs.bye = true;
      rs.bye_code = bye.exit_code;
      if (bye.exit_code != 0 && (phase_ == Phase::kRunning || phase_ == Phase::kStopping))
        fault(describe_rank(rank) + " failed (exit code " + std::to_string(bye.exit_code) + ")");
      break;
    }
    case wire::MsgKind::kReady: {
      if (!leader) break;
      auto ready = wire::decode_payload<wire::ReadyMsg>(data, size);
      replicas_[replica].ready = true;
      replicas_[replica].engine = ready.engine;
      replicas_[replica].startup_s = ready.build_seconds;
      if (start_aborted_) send_abort_to(rank, "the run did not start");
      check_start();
      break;
    }
    case wire::MsgKind::kError: {
      auto err = wire::decode_payload<wire::ErrorMsg>(data, size);
      if (phase_ == Phase::kStarting) {
        if (replica >= 0) replicas_[replica].failed = true;
        if (!start_aborted_) {
          start_aborted_ = true;
          for (const auto& r : replicas_)
            if (r.ready)
              send_abort_to(r.leader_rank,
                            "replica " + std::to_string(replica) + " failed to start");
        }
        set_verdict({0, ""});  // the failing rank reports its own error
      } else {
        fault(describe_rank(rank) + " failed: " + err.message);
      }
      break;
    }
    case wire::MsgKind::kWorkRequest: {
      auto req = wire::decode_payload<wire::WorkRequestMsg>(data, size);
      if (leader && phase_ == Phase::kRunning) serve_work(rank, req.max_requests);
      break;
    }
    case wire::MsgKind::kDone: {
      if (!leader) break;
      auto done = wire::decode_payload<wire::DoneMsg>(data, size);
      ReplicaState& r = replicas_[replica];
      r.done = true;
      r.records_sent = done.records_sent;
      r.stats = done.stats;
      break;
    }
    default:
      log_warn(describe_rank(rank) + " sent an unexpected " + wire::kind_name(msg.kind()) +
               " message");
  }
}

void Coordinator::handle_records(wire::Received& msg) {
  int rank = rank_of(msg);
  if (rank < 0 || !config_.topology.is_leader(rank)) {
    log_warn("record batch from a rank that leads no replica ignored");
    return;
  }
  if (!msg.header_ok)
    fault(describe_rank(rank) + " sent a malformed record batch: " + msg.header_error);
  if (msg.header.version != wire::kProtocolVersion) {
    version_mismatch(rank, msg.header.version);
    return;
  }
  wire::decode_record_batch(msg.payload.data(), msg.payload.size(), batch_);
  int replica = config_.topology.replica_of(rank);
  if (batch_.replica != replica) {
    log_warn(describe_rank(rank) + " sent records labelled replica " +
             std::to_string(batch_.replica));
  }
  collector_.add(replica, std::move(batch_.records));
  batch_.records.clear();
}

void Coordinator::handle_monitor_event() {
  while (true) {
    zmq::message_t event, address;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
    if (event.more()) (void)monitor_.recv(address);
    if (event.size() < 6) continue;
    uint16_t id;
    uint32_t fd;
    std::memcpy(&id, event.data(), 2);
    std::memcpy(&fd, static_cast<const char*>(event.data()) + 2, 4);
    if (id != ZMQ_EVENT_DISCONNECTED) continue;
    auto it = fd_to_rank_.find(static_cast<int>(fd));
    if (it == fd_to_rank_.end()) continue;
    int rank = it->second;
    fd_to_rank_.erase(it);
    drain_control();  // a bye sent just before closing is already queued
    if (ranks_[rank].bye || phase_ == Phase::kFinished) continue;
    await_interrupt();
    fault(describe_rank(rank) + " died: its connection to the coordinator closed");
  }
}

// mpirun, given SIGINT or SIGTERM, signals the ranks one after the other, within milliseconds: a
// rank that got it first may close its connection before rank 0's own signal arrives. After a
// real death mpirun's SIGTERM comes a second later (SIGCONT first), so waiting this long for a
// signal does not turn a death into an interrupt.
void Coordinator::await_interrupt() {
  const int fd = termination_fd();
  if (fd < 0) return;
  constexpr int kGraceMs = 250;
  const int64_t until = now_ns() + int64_t{kGraceMs} * 1'000'000;
  while (received_interrupt() == 0 && now_ns() < until) {
    zmq::pollitem_t item{nullptr, fd, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
  }
}

// SIGINT or SIGTERM (docs/CLI.md "Interrupts"): under mpirun SIGKILL follows about a second
// later, so the line and the report files come first, and no rank's death (the others got the
// same signal) is reported as a fault.
void Coordinator::interrupt(int signo) {
  const int code = 128 + signo;
  if (g_ending.exchange(true)) std::_Exit(code);
  const std::string reason = std::string("interrupted by ") + interrupt_name(signo);
  // mpirun may already have closed this rank's stdout and stderr: a write must fail, not kill.
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr,
               "profile_throughput: %s with %llu of %llu requests done: the reports are marked "
               "incomplete (exit code %d)\n",
               reason.c_str(), static_cast<unsigned long long>(collector_.received()),
               static_cast<unsigned long long>(collector_.total()), code);
  std::fflush(stderr);
  if (phase_ != Phase::kFinished) {
    try {
      wire::Received msg;  // records already sent are reported too
      for (int i = 0; i < kMaxBatchesPerPoll &&
                      wire::receive_message(pull_, false, msg, zmq::recv_flags::dontwait);
           ++i)
        handle_records(msg);
    } catch (const std::exception&) {
    }
    write_reports(false, reason);
  }
  std::_Exit(code);
}

void Coordinator::check_liveness(int64_t now) {
  if (phase_ == Phase::kFinished) return;
  const auto timeout_ns = static_cast<int64_t>(config_.options.heartbeat_timeout_s * 1e9);
  for (int rank = 0; rank < static_cast<int>(ranks_.size()); ++rank) {
    if (config_.topology.replica_of(rank) < 0) continue;
    const RankState& rs = ranks_[rank];
    if (rs.bye || now - rs.last_seen_ns <= timeout_ns) continue;
    if (!rs.hello)
      fault(describe_rank(rank) + " never connected to the coordinator at " + endpoints_.control +
            " within --heartbeat-timeout " + seconds(config_.options.heartbeat_timeout_s) +
            " (check --coordinator-addr)");
    fault(describe_rank(rank) + " stopped answering: no heartbeat for " +
          seconds(config_.options.heartbeat_timeout_s) + " (--heartbeat-timeout)");
  }
  check_startup(now);
  check_timeout(now);
}

std::string Coordinator::ranks_still_starting() const {
  std::string list;
  for (int rank = 0; rank < static_cast<int>(ranks_.size()); ++rank) {
    const int replica = config_.topology.replica_of(rank);
    if (replica < 0) continue;
    const bool ready =
        config_.topology.is_leader(rank) ? replicas_[replica].ready : ranks_[rank].engine_ready;
    if (ready) continue;
    if (!list.empty()) list += ", ";
    list += describe_rank(rank);
  }
  return list;
}

// Start-up (engine build: weights, KV cache, warm-up, graph capture) has its own limit; a rank
// inside a long load still heartbeats, so only this limit catches one that never gets ready.
void Coordinator::check_startup(int64_t now) {
  const double limit_s = config_.options.startup_timeout_s;
  if (limit_s <= 0 || t0_ns_.load() != 0) return;
  const auto limit_ns = static_cast<int64_t>(limit_s * 1e9);
  if (now <= limit_ns) return;
  const std::string starting = ranks_still_starting();
  const std::string after = tenths(static_cast<double>(now) / 1e9);
  if (!starting.empty())
    fault(starting + " still starting after " + after + " (--startup-timeout " + seconds(limit_s) +
          ")");
  // Every engine is built: the start barrier should pass in milliseconds.
  constexpr int64_t kBarrierGraceNs = 10'000'000'000;
  if (now > limit_ns + kBarrierGraceNs)
    fault("every rank is ready but the start barrier has not passed after " + after +
          " (--startup-timeout " + seconds(limit_s) + ")");
}

void Coordinator::check_timeout(int64_t now) {
  if (phase_ == Phase::kStopping && now > stop_deadline_ns_) {
    std::string late;
    for (const auto& r : replicas_) {
      if (r.done) continue;
      if (!late.empty()) late += ", ";
      late += describe_rank(r.leader_rank);
    }
    fault(stop_reason_ + ", but " + late + " did not stop within " +
          seconds(config_.options.heartbeat_timeout_s + kStopGraceExtraS) +
          ": aborting the MPI job");
  }
  const double limit_s = config_.options.timeout_s;
  const int64_t t0 = t0_ns_.load();
  if (phase_ != Phase::kRunning || limit_s <= 0 || t0 == 0) return;
  if (steady_now_ns() - t0 > static_cast<int64_t>(limit_s * 1e9)) begin_stop();
}

// --timeout is a planned end: every leader takes no more requests, abandons those in flight and
// sends done; the reports cover what ended and every rank leaves through MPI_Finalize.
void Coordinator::begin_stop() {
  stop_reason_ = "ended by --timeout after " + seconds(config_.options.timeout_s);
  std::fprintf(stderr,
               "profile_throughput: %s with %llu of %llu requests done: stopping every replica; "
               "the reports are marked incomplete (exit code %d)\n",
               stop_reason_.c_str(), static_cast<unsigned long long>(collector_.received()),
               static_cast<unsigned long long>(collector_.total()), kExitTimeout);
  std::fflush(stderr);
  for (const auto& r : replicas_)
    if (!r.done) send_stop_to(r.leader_rank, stop_reason_);
  phase_ = Phase::kStopping;
  stop_deadline_ns_ =
      now_ns() +
      static_cast<int64_t>((config_.options.heartbeat_timeout_s + kStopGraceExtraS) * 1e9);
}

void Coordinator::check_start() {
  if (phase_ != Phase::kStarting || start_aborted_) return;
  for (int rank = 0; rank < static_cast<int>(ranks_.size()); ++rank)
    if (config_.topology.replica_of(rank) >= 0 && !ranks_[rank].hello) return;
  for (const auto& r : replicas_)
    if (!r.ready) return;
  send_go();
  phase_ = Phase::kRunning;
  set_verdict({0, ""});
}

void Coordinator::send_go() {
  const uint64_t total = workload_.requests.size();
  const bool dynamic = config_.options.dispatch == Dispatch::kDynamic;
  std::vector<std::vector<uint64_t>> shards;
  if (!dynamic) shards = wire::shard_round_robin(total, config_.slots);
  for (const auto& r : replicas_) {
    wire::GoMsg go;
    go.dynamic = dynamic;
    go.total_requests = total;
    if (!dynamic) {
      go.shard.reserve(shards[r.replica].size());
      for (uint64_t i : shards[r.replica]) go.shard.push_back(workload_.requests[i]);
    }
    std::string id = wire::control_routing_id(r.leader_rank);
    wire::send_message(router_, wire::MsgKind::kGo, -1, go, wire::kProtocolVersion, &id);
  }
}

void Coordinator::send_stop_to(int leader_rank, const std::string& reason) {
  std::string id = wire::control_routing_id(leader_rank);
  wire::send_message(router_, wire::MsgKind::kStop, -1, wire::StopMsg{reason},
                     wire::kProtocolVersion, &id);
}

void Coordinator::send_abort_to(int leader_rank, const std::string& reason) {
  std::string id = wire::control_routing_id(leader_rank);
  wire::send_message(router_, wire::MsgKind::kAbort, -1, wire::AbortMsg{reason},
                     wire::kProtocolVersion, &id);
}

void Coordinator::serve_work(int rank, int max_requests) {
  const uint64_t total = workload_.requests.size();
  wire::WorkMsg work;
  uint64_t n =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(max_requests, 1)), total - next_request_);
  work.requests.reserve(n);
  for (uint64_t i = 0; i < n; ++i) work.requests.push_back(workload_.requests[next_request_ + i]);
  next_request_ += n;
  work.exhausted = next_request_ >= total;
  std::string id = wire::control_routing_id(rank);
  wire::send_message(router_, wire::MsgKind::kWork, -1, work, wire::kProtocolVersion, &id);
}

void Coordinator::check_finished() {
  for (const auto& r : replicas_)
    if (!r.done || collector_.received_from(r.replica) < r.records_sent) return;
  bool complete = collector_.received() == collector_.total() && collector_.rejected() == 0;
  const bool timed_out = !complete && collector_.rejected() == 0 && !stop_reason_.empty();
  std::string reason;
  if (collector_.rejected() > 0)
    reason = std::to_string(collector_.rejected()) +
             " records rejected, first: " + collector_.first_rejection();
  else if (timed_out)
    reason = stop_reason_;
  else if (!complete)
    reason = "only " + std::to_string(collector_.received()) + " of " +
             std::to_string(collector_.total()) + " requests were reported";
  if (!complete && !timed_out)
    std::fprintf(stderr, "profile_throughput: error: %s\n", reason.c_str());
  bool written = write_reports(complete, reason);
  if (!written)
    exit_code_ = kExitRunFailed;
  else
    exit_code_ = complete ? kExitOk : timed_out ? kExitTimeout : kExitRunFailed;
  phase_ = Phase::kFinished;
}

bool Coordinator::write_reports(bool complete, const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_.t0_skew_ns = t0_skew_ns_;
    run_.started_at = started_at_;
  }
  const int64_t t0 = t0_ns_.load();
  run_.startup_s = static_cast<double>((t0 != 0 ? t0 : steady_now_ns()) - created_ns_) / 1e9;
  bool written = write_run_reports(run_, collector_, replicas_, complete, reason, stdout,
                                   /*requests_out_streamed=*/true);
  std::fflush(stdout);
  stream_requests();
  return written && requests_error_.empty();
}

void Coordinator::fault(const std::string& fault_line) {
  // After SIGINT/SIGTERM a rank that dies most likely got the signal too.
  if (int signo = received_interrupt()) interrupt(signo);
  if (g_ending.exchange(true)) {
    MPI_Abort(MPI_COMM_WORLD, kExitRunFailed);
    std::_Exit(kExitRunFailed);
  }
  // A fault while the replicas stop after --timeout (a leader stuck in a step cannot stop): the
  // planned end becomes an abort, and the line says both.
  const std::string line = phase_ == Phase::kStopping && fault_line.rfind(stop_reason_, 0) != 0
                               ? stop_reason_ + ", then " + fault_line
                               : fault_line;
  std::fprintf(stderr, "profile_throughput: error: %s\n", line.c_str());
  std::fflush(stderr);
  // A start-up fault is reported too (no request ended).
  if (phase_ != Phase::kFinished) write_reports(false, line);
  set_verdict({kExitRunFailed, line});
  arm_launcher_watchdog();  // mpirun may never end the job: a host may be unreachable
  MPI_Abort(MPI_COMM_WORLD, kExitRunFailed);
  std::_Exit(kExitRunFailed);
}

}  // namespace tpbench
