#include "serve/replica_dispatcher.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "common/clock.hpp"
#include "common/log.hpp"

namespace tpbench::serve {
namespace {

constexpr const char* kShuttingDown = "the server is shutting down";
constexpr int64_t kStopTimeoutNs = 120'000'000'000;  // leaders finishing their step

// The ZAP handler stamped "rank N" on the connection: the sender cannot pick it.
int rank_of(const wire::Received& msg) {
  if (msg.user_id.rfind("rank ", 0) != 0) return -1;
  return std::atoi(msg.user_id.c_str() + 5);
}

wire::ServeRequest wire_request(EngineRequest&& r) {
  wire::ServeRequest w;
  w.id = r.id;
  w.prompt = std::move(r.prompt);
  w.max_new_tokens = r.max_new_tokens;
  w.min_new_tokens = r.min_new_tokens;
  w.stop_token_ids = std::move(r.stop_token_ids);
  w.top_k = r.sampling.top_k;
  w.top_p = r.sampling.top_p;
  w.temperature = r.sampling.temperature;
  w.seed = r.sampling.seed;
  return w;
}

std::string no_replica_reason(const std::vector<ReplicaCounters>& replicas) {
  std::string reason = "no replica is serving";
  for (const ReplicaCounters& r : replicas)
    if (!r.failure.empty()) return reason + ": " + r.failure;
  return reason;
}

}  // namespace

ReplicaDispatcher::ReplicaDispatcher(zmq::context_t& context, DispatcherConfig config)
    : config_(std::move(config)), router_(context, zmq::socket_type::router) {
  server_keys_ = wire::make_curve_keys();
  std::map<std::string, std::string> allowed;
  for (const auto& [rank, key] : config_.leader_keys) allowed[key] = "rank " + std::to_string(rank);
  zap_ = std::make_unique<wire::ZapAuthenticator>(context, allowed);  // before the bind
  router_.set(zmq::sockopt::linger, 0);
  router_.set(zmq::sockopt::sndhwm, 0);  // a request or cancel is never dropped
  router_.set(zmq::sockopt::rcvhwm, 0);
  wire::configure_curve_server(router_, server_keys_);
  try {
    router_.bind("tcp://" + config_.bind_host + ":*");
  } catch (const zmq::error_t& e) {
    throw InputError("--coordinator-addr " + config_.bind_host +
                     ": cannot listen there: " + e.what());
  }
  std::string ep = router_.get(zmq::sockopt::last_endpoint);
  if (config_.bind_host == "*") ep = "tcp://" + config_.advertise_host + ep.substr(ep.rfind(':'));
  endpoints_.control = ep;
  endpoints_.server_public_z85 = server_keys_.public_z85;

  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
  for (int replica = 0; replica < config_.topology.replicas; ++replica) {
    ReplicaCounters r;
    r.replica = replica;
    r.leader_rank = config_.topology.leader_of(replica);
    r.state = ReplicaState::kStarting;
    replicas_.push_back(r);
  }
}

ReplicaDispatcher::~ReplicaDispatcher() {
  stop();
  zap_.reset();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

ExitStatus ReplicaDispatcher::start_and_wait_ready() {
  thread_ = std::thread([this] { run(); });
  std::unique_lock lock(mutex_);
  const auto settled = [&] {
    for (const ReplicaCounters& r : replicas_)
      if (r.state == ReplicaState::kStarting) return false;
    return true;
  };
  const double limit_s = config_.startup_timeout_s;
  if (limit_s <= 0) {
    ready_cv_.wait(lock, settled);
  } else if (!ready_cv_.wait_for(lock, std::chrono::duration<double>(limit_s), settled)) {
    std::string waiting;
    for (const ReplicaCounters& r : replicas_)
      if (r.state == ReplicaState::kStarting)
        waiting += (waiting.empty() ? "" : ", ") + std::string("replica ") +
                   std::to_string(r.replica) + " (rank " + std::to_string(r.leader_rank) + ")";
    std::ostringstream limit;
    limit << limit_s;
    return {kExitRunFailed, waiting + " never reported ready to the front end at " +
                                endpoints_.control + " (--startup-timeout " + limit.str() + " s)"};
  }
  for (const ReplicaCounters& r : replicas_)
    if (r.state == ReplicaState::kFailed) return {kExitRunFailed, r.failure};
  return {};
}

void ReplicaDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

void ReplicaDispatcher::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

GenerationService::Submitted ReplicaDispatcher::submit(EngineRequest request, OnToken on_token,
                                                       OnDone on_done) {
  std::unique_lock lock(mutex_);
  const uint64_t id = next_id_++;
  int chosen = -1;
  for (const ReplicaCounters& r : replicas_)
    if (r.state == ReplicaState::kServing &&
        (chosen < 0 || r.in_flight < replicas_[chosen].in_flight))
      chosen = r.replica;
  if (chosen < 0 || stopping_) {
    const std::string reason = stopping_ ? kShuttingDown : no_replica_reason(replicas_);
    lock.unlock();
    on_done(id, false, reason);
    return {id, -1};
  }
  ++replicas_[chosen].in_flight;
  ++replicas_[chosen].requests;
  request.id = id;
  incoming_.push_back({chosen, std::move(request), std::move(on_token), std::move(on_done)});
  lock.unlock();
  wake();
  return {id, chosen};
}

void ReplicaDispatcher::cancel(uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    cancelled_.push_back(id);
  }
  wake();
}

std::vector<ReplicaCounters> ReplicaDispatcher::counters() const {
  std::lock_guard lock(mutex_);
  return replicas_;
}

int ReplicaDispatcher::replica_of_rank(int rank) const {
  if (rank < 0 || !config_.topology.is_leader(rank)) return -1;
  return config_.topology.replica_of(rank);
}

void ReplicaDispatcher::run() {
  int64_t stop_deadline_ns = 0;
  for (;;) {
    zmq::pollitem_t items[2] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2,
              stop_sent_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(-1));
    if (items[1].revents & ZMQ_POLLIN) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
    }
    try {
      take_submissions();
      if (items[0].revents & ZMQ_POLLIN) take_messages();
    } catch (const std::exception& e) {
      log_error(std::string("tpbench_serve: dispatcher: ") + e.what());
    }
    if (stop_sent_) {
      std::lock_guard lock(mutex_);
      // A leader that never connected cannot confirm (and its stop was dropped): not waited for.
      bool all_stopped = true;
      for (const ReplicaCounters& r : replicas_)
        all_stopped &= r.state == ReplicaState::kStopped || r.state == ReplicaState::kStarting;
      if (all_stopped) return;
      if (steady_now_ns() > stop_deadline_ns) {
        log_warn("tpbench_serve: a replica's leader did not confirm its shutdown");
        return;
      }
    } else {
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
      }
      if (stopping) {
        send_stop_to_all();
        stop_deadline_ns = steady_now_ns() + kStopTimeoutNs;
      }
    }
  }
}

// Submissions first, so that a request cancelled right after its submission is found.
void ReplicaDispatcher::take_submissions() {
  std::vector<Pending> incoming;
  std::vector<uint64_t> cancelled;
  std::vector<ReplicaCounters> replicas;  // their states as the submissions are taken
  {
    std::lock_guard lock(mutex_);
    incoming.swap(incoming_);
    cancelled.swap(cancelled_);
    if (!incoming.empty()) replicas = replicas_;
  }
  std::map<int, wire::ServeRequestsMsg> requests;
  for (Pending& p : incoming) {
    const uint64_t id = p.request.id;
    auto [it, inserted] =
        active_.emplace(id, Active{p.replica, std::move(p.on_token), std::move(p.on_done)});
    const ReplicaCounters& to = replicas[p.replica];
    if (to.state != ReplicaState::kServing) {
      end_request(it, false, to.failure.empty() ? kShuttingDown : to.failure);
      continue;
    }
    requests[p.replica].requests.push_back(wire_request(std::move(p.request)));
  }
  std::map<int, wire::ServeCancelMsg> cancels;
  if (!cancelled.empty()) {
    std::lock_guard lock(mutex_);
    for (uint64_t id : cancelled) {
      auto it = active_.find(id);
      if (it == active_.end()) continue;  // it ended already
      ReplicaCounters& r = replicas_[it->second.replica];
      --r.in_flight;
      ++r.cancelled;
      if (r.state == ReplicaState::kServing) cancels[it->second.replica].ids.push_back(id);
      active_.erase(it);
    }
  }
  for (auto& [replica, msg] : requests) {
    const std::string to = wire::control_routing_id(config_.topology.leader_of(replica));
    wire::send_message(router_, wire::MsgKind::kServeRequests, -1, msg, wire::kProtocolVersion,
                       &to);
  }
  for (auto& [replica, msg] : cancels) {
    const std::string to = wire::control_routing_id(config_.topology.leader_of(replica));
    wire::send_message(router_, wire::MsgKind::kServeCancel, -1, msg, wire::kProtocolVersion, &to);
  }
}

void ReplicaDispatcher::take_messages() {
  wire::Received msg;
  while (wire::receive_message(router_, true, msg, zmq::recv_flags::dontwait)) {
    const int rank = rank_of(msg);
    const int replica = replica_of_rank(rank);
    if (replica < 0) continue;
    const std::string who =
        "replica " + std::to_string(replica) + " (rank " + std::to_string(rank) + ")";
    if (!msg.header_ok) {
      on_replica_failed(replica, who + " sent a malformed message: " + msg.header_error);
      continue;
    }
    if (msg.header.version != wire::kProtocolVersion) {
      on_replica_failed(replica, who + " speaks tpbench wire protocol version " +
                                     std::to_string(msg.header.version) + ", the front end " +
                                     std::to_string(wire::kProtocolVersion));
      continue;
    }
    const void* data = msg.payload.data();
    const size_t size = msg.payload.size();
    switch (msg.kind()) {
      case wire::MsgKind::kServeEvents:
        on_events(replica, wire::decode_payload<wire::ServeEventsMsg>(data, size));
        break;
      case wire::MsgKind::kReady: {
        const auto ready = wire::decode_payload<wire::ReadyMsg>(data, size);
        std::cerr << "tpbench_serve: " << who << " ready: " << ready.engine << std::endl;
        {
          std::lock_guard lock(mutex_);
          if (replicas_[replica].state == ReplicaState::kStarting)
            replicas_[replica].state = ReplicaState::kServing;
        }
        ready_cv_.notify_all();
        break;
      }
      case wire::MsgKind::kError:
        on_replica_failed(replica, wire::decode_payload<wire::ErrorMsg>(data, size).message);
        break;
      case wire::MsgKind::kDone: {
        std::lock_guard lock(mutex_);
        replicas_[replica].state = ReplicaState::kStopped;
        break;
      }
      default:
        log_warn("tpbench_serve: " + who + " sent an unexpected " + kind_name(msg.kind()) +
                 " message");
    }
  }
}

void ReplicaDispatcher::on_events(int replica, const wire::ServeEventsMsg& events) {
  const int64_t now = steady_now_ns();
  {
    std::lock_guard lock(mutex_);
    replicas_[replica].tokens += events.tokens.size();
  }
  for (const wire::ServeToken& t : events.tokens) {
    auto it = active_.find(t.id);
    if (it == active_.end()) continue;  // cancelled
    it->second.on_token(t.id, t.token, t.finished, now);
    if (t.finished) end_request(it, true, "");
  }
  for (const wire::ServeFailure& f : events.failures) {
    auto it = active_.find(f.id);
    if (it == active_.end()) continue;
    {
      std::lock_guard lock(mutex_);
      ++replicas_[replica].failures;
    }
    end_request(it, false, f.reason);
  }
}

void ReplicaDispatcher::end_request(std::unordered_map<uint64_t, Active>::iterator it, bool ok,
                                    const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    --replicas_[it->second.replica].in_flight;
  }
  OnDone on_done = std::move(it->second.on_done);
  const uint64_t id = it->first;
  active_.erase(it);
  on_done(id, ok, reason);
}

void ReplicaDispatcher::on_replica_failed(int replica, const std::string& reason) {
  log_error("tpbench_serve: " + reason);
  {
    std::lock_guard lock(mutex_);
    replicas_[replica].state = ReplicaState::kFailed;
    replicas_[replica].failure = reason;
  }
  ready_cv_.notify_all();
  for (auto it = active_.begin(); it != active_.end();) {
    auto next = std::next(it);
    if (it->second.replica == replica) end_request(it, false, reason);
    it = next;
  }
}

void ReplicaDispatcher::send_stop_to_all() {
  stop_sent_ = true;
  while (!active_.empty()) end_request(active_.begin(), false, kShuttingDown);
  for (int replica = 0; replica < config_.topology.replicas; ++replica) {
    const std::string to = wire::control_routing_id(config_.topology.leader_of(replica));
    wire::send_message(router_, wire::MsgKind::kStop, -1, wire::StopMsg{kShuttingDown},
                       wire::kProtocolVersion, &to);
  }
}

}  // namespace tpbench::serve
