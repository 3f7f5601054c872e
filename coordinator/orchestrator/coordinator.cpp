#include "coordinator/orchestrator/coordinator.hpp"

#include <mpi.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

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

// The first of an abort and an interrupt ends the run; a second one exits at once.
std::atomic<bool> g_ending{false};

std::string endpoint_for(zmq::socket_t& socket, const CoordinatorConfig& config) {
  std::string ep = socket.get(zmq::sockopt::last_endpoint);  // tcp://ip:port
  if (config.bind_host == "*") {
    auto colon = ep.rfind(':');
    ep = "tcp://" + config.advertise_host + ep.substr(colon);
  }
  return ep;
}

// The ZAP handler stamped "rank N" on the connection: the sender cannot pick it.
int rank_of(const wire::Received& msg) {
  if (msg.user_id.rfind("rank ", 0) != 0) return -1;
  return std::atoi(msg.user_id.c_str() + 5);
}

template <typename T>
void send_to(zmq::socket_t& router, int leader_rank, wire::MsgKind kind, const T& msg) {
  const std::string id = wire::control_routing_id(leader_rank);
  wire::send_message(router, kind, -1, msg, wire::kProtocolVersion, &id);
}

coord::Control decode_control(const wire::Received& msg, int world_size) {
  coord::Control c;
  c.rank = rank_of(msg);
  if (c.rank < 0 || c.rank >= world_size) return c;
  if (!msg.header_ok) {
    c.payload = coord::Malformed{msg.header_error};
    return c;
  }
  if (msg.header.version != wire::kProtocolVersion) {
    c.payload = coord::OtherVersion{msg.header.version};
    return c;
  }
  if (msg.header.rank != c.rank) {
    c.payload = coord::ClaimsOtherRank{msg.header.rank};
    return c;
  }
  const void* data = msg.payload.data();
  const size_t size = msg.payload.size();
  switch (msg.kind()) {
    case wire::MsgKind::kHello:
      c.payload = coord::Hello{wire::decode_payload<wire::HelloMsg>(data, size), msg.source_fd};
      break;
    case wire::MsgKind::kHeartbeat:
      c.payload = wire::decode_payload<wire::HeartbeatMsg>(data, size);
      break;
    case wire::MsgKind::kBye:
      c.payload = wire::decode_payload<wire::ByeMsg>(data, size);
      break;
    case wire::MsgKind::kReady:
      c.payload = wire::decode_payload<wire::ReadyMsg>(data, size);
      break;
    case wire::MsgKind::kError:
      c.payload = wire::decode_payload<wire::ErrorMsg>(data, size);
      break;
    case wire::MsgKind::kWorkRequest:
      c.payload = wire::decode_payload<wire::WorkRequestMsg>(data, size);
      break;
    case wire::MsgKind::kDone:
      c.payload = wire::decode_payload<wire::DoneMsg>(data, size);
      break;
    default:
      c.payload = coord::UnexpectedKind{msg.kind()};
  }
  return c;
}

coord::Records decode_records(const wire::Received& msg, const wire::Topology& topology,
                              wire::RecordBatchMsg& buffer) {
  coord::Records r;
  r.rank = rank_of(msg);
  if (r.rank < 0 || !topology.is_leader(r.rank)) return r;
  if (!msg.header_ok) {
    r.payload = coord::Malformed{msg.header_error};
  } else if (msg.header.version != wire::kProtocolVersion) {
    r.payload = coord::OtherVersion{msg.header.version};
  } else {
    wire::decode_record_batch(msg.payload.data(), msg.payload.size(), buffer);
    r.payload = std::move(buffer);
    buffer.records.clear();
  }
  return r;
}

}  // namespace

Coordinator::Coordinator(CoordinatorConfig config, Workload workload)
    : config_(std::move(config)),
      created_ns_(steady_now_ns()),
      router_(context_, zmq::socket_type::router),
      pull_(context_, zmq::socket_type::pull),
      monitor_(context_, zmq::socket_type::pair) {
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

  CoordinatorPlan plan;
  plan.options = config_.options;
  plan.topology = config_.topology;
  plan.backend = config_.backend;
  plan.slots = config_.slots;
  plan.rank_hosts = config_.rank_hosts;
  plan.control_endpoint = endpoints_.control;
  core_ = std::make_unique<CoordinatorCore>(std::move(plan), std::move(workload.requests));
}

Coordinator::~Coordinator() {
  cancel();
  zap_.reset();
}

void Coordinator::start() {
  feed(coord::Listening{});
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

void Coordinator::loop() {
  ProgressPrinter progress(stderr, ::isatty(STDERR_FILENO) != 0);
  int term_fd = termination_fd();
  if (term_fd >= 0) accept_interrupts_in_this_thread();
  try {
    while (!cancel_ && !finished_) {
      zmq::pollitem_t items[4] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                  {pull_.handle(), 0, ZMQ_POLLIN, 0},
                                  {monitor_.handle(), 0, ZMQ_POLLIN, 0},
                                  {nullptr, term_fd, ZMQ_POLLIN, 0}};
      zmq::poll(items, term_fd >= 0 ? 4 : 3, std::chrono::milliseconds(kPollMs));
      // First: the other ranks got the same signal and their connections are closing.
      if (int signo = received_interrupt()) interrupt(signo);
      if (items[0].revents & ZMQ_POLLIN) drain_control();
      if (items[1].revents & ZMQ_POLLIN) take_pending_records();
      if (items[2].revents & ZMQ_POLLIN) drain_monitor();
      const int64_t t0 = t0_ns_.load();
      if (t0 != 0 && !t0_fed_) {
        t0_fed_ = true;
        feed(coord::Started{t0 - created_ns_});
      }
      if (core_->running() && t0 != 0) {
        const RecordCollector& records = core_->collector();
        progress.update(steady_now_ns() - t0, records.received(), records.total(),
                        records.output_tokens());
      }
      feed(coord::Tick{});
    }
  } catch (const std::exception& e) {
    feed(coord::InternalError{e.what()});
  }
}

void Coordinator::feed(coord::Event event) {
  std::vector<coord::Action> actions;
  core_->handle(now_ns(), std::move(event), actions);
  for (coord::Action& action : actions) perform(action);
}

void Coordinator::perform(coord::Action& action) {
  struct Performer {
    Coordinator& c;
    void operator()(coord::SendGo& a) {
      send_to(c.router_, a.leader_rank, wire::MsgKind::kGo, a.msg);
    }
    void operator()(coord::SendWork& a) {
      send_to(c.router_, a.leader_rank, wire::MsgKind::kWork, a.msg);
    }
    void operator()(coord::SendAbort& a) {
      send_to(c.router_, a.leader_rank, wire::MsgKind::kAbort, wire::AbortMsg{a.reason});
    }
    void operator()(coord::SendStop& a) {
      send_to(c.router_, a.leader_rank, wire::MsgKind::kStop, wire::StopMsg{a.reason});
    }
    void operator()(coord::Warn& a) { log_warn(a.text); }
    void operator()(coord::Notice& a) {
      std::fprintf(stderr, "%s\n", a.line.c_str());
      std::fflush(stderr);
    }
    void operator()(coord::SetVerdict& a) { c.set_verdict(std::move(a.verdict)); }
    void operator()(coord::RunEnd& end) {
      switch (end.how) {
        case coord::EndHow::kReturn:
          c.finish(end);
          return;
        case coord::EndHow::kAbort:
          c.abort_run(end);
        case coord::EndHow::kExitNow:
          c.exit_now(end);
      }
    }
  };
  std::visit(Performer{*this}, action);
}

void Coordinator::drain_control() {
  wire::Received msg;
  while (wire::receive_message(router_, true, msg, zmq::recv_flags::dontwait))
    feed(decode_control(msg, config_.topology.world_size));
}

void Coordinator::take_pending_records() {
  wire::Received msg;
  for (int i = 0; i < kMaxBatchesPerPoll &&
                  wire::receive_message(pull_, false, msg, zmq::recv_flags::dontwait);
       ++i)
    feed(decode_records(msg, config_.topology, batch_));
  stream_requests();
}

void Coordinator::drain_monitor() {
  wire::MonitorEvent event;
  while (wire::receive_monitor_event(monitor_, event)) {
    if (event.event != ZMQ_EVENT_DISCONNECTED) continue;
    drain_control();  // a bye sent just before closing is already queued
    feed(coord::ConnectionLost{event.fd});
  }
}

// Appends the records that arrived since the last call to --requests-out, so that a SIGKILL
// loses at most the last poll's batches. The first call replaces an existing file.
void Coordinator::stream_requests() {
  const std::string& path = config_.options.requests_out_path;
  if (path.empty() || !requests_error_.empty()) return;
  const auto& records = core_->collector().records();
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

bool Coordinator::write_reports(bool complete, const std::string& reason) {
  RunDescription run = core_->run();
  {
    std::lock_guard<std::mutex> lock(mu_);
    run.t0_skew_ns = t0_skew_ns_;
    run.started_at = started_at_;
  }
  const int64_t t0 = t0_ns_.load();
  run.startup_s = static_cast<double>((t0 != 0 ? t0 : steady_now_ns()) - created_ns_) / 1e9;
  bool written = write_run_reports(run, core_->collector(), core_->replicas(), complete, reason,
                                   stdout, /*requests_out_streamed=*/true);
  std::fflush(stdout);
  stream_requests();
  return written && requests_error_.empty();
}

void Coordinator::finish(const coord::RunEnd& end) {
  if (!end.console_line.empty()) std::fprintf(stderr, "%s\n", end.console_line.c_str());
  const bool written = write_reports(end.complete, end.reason);
  exit_code_ = written ? end.code : kExitRunFailed;
  finished_ = true;
}

void Coordinator::abort_run(const coord::RunEnd& end) {
  if (end.await_signal) await_interrupt();
  // After SIGINT/SIGTERM a rank that dies most likely got the signal too.
  if (int signo = received_interrupt()) interrupt(signo);
  if (g_ending.exchange(true)) {
    MPI_Abort(MPI_COMM_WORLD, end.code);
    std::_Exit(end.code);
  }
  std::fprintf(stderr, "%s\n", end.console_line.c_str());
  std::fflush(stderr);
  if (end.write_reports) write_reports(false, end.reason);
  set_verdict({end.code, end.reason});
  arm_launcher_watchdog();  // mpirun may never end the job: a host may be unreachable
  MPI_Abort(MPI_COMM_WORLD, end.code);
  std::_Exit(end.code);
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

void Coordinator::interrupt(int signo) {
  feed(coord::Interrupted{signo, interrupt_name(signo)});
  std::_Exit(128 + signo);  // not reached: the core answers with an exit
}

// SIGINT or SIGTERM (docs/CLI.md "Interrupts"): under mpirun SIGKILL follows about a second
// later, so the line and the report files come first, and no rank's death (the others got the
// same signal) is reported as a fault.
void Coordinator::exit_now(const coord::RunEnd& end) {
  if (g_ending.exchange(true)) std::_Exit(end.code);
  // mpirun may already have closed this rank's stdout and stderr: a write must fail, not kill.
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr, "%s\n", end.console_line.c_str());
  std::fflush(stderr);
  if (end.write_reports) {
    try {
      take_pending_records();  // records already sent are reported too
    } catch (const std::exception&) {
    }
    write_reports(false, end.reason);
  }
  std::_Exit(end.code);
}

}  // namespace tpbench
