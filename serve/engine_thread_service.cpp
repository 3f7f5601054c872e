#include "serve/engine_thread_service.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"

namespace tpbench::serve {

EngineThreadService::EngineThreadService(Engine& engine)
    : engine_(engine), thread_([this] { run(); }) {}

EngineThreadService::~EngineThreadService() {
  stop();
}

uint64_t EngineThreadService::submit(EngineRequest request, OnToken on_token, OnDone on_done) {
  std::unique_lock lock(mutex_);
  const uint64_t id = next_id_++;
  if (!broken_.empty() || stopping_) {
    const std::string reason = broken_.empty() ? "the server is shutting down" : broken_;
    lock.unlock();
    on_done(id, false, reason);
    return id;
  }
  request.id = id;
  incoming_.push_back({std::move(request), std::move(on_token), std::move(on_done)});
  lock.unlock();
  wake_.notify_one();
  return id;
}

void EngineThreadService::cancel(uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    cancelled_.push_back(id);
  }
  wake_.notify_one();
}

void EngineThreadService::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void EngineThreadService::admit(std::vector<Pending>& incoming, std::vector<uint64_t>& cancelled) {
  for (Pending& p : incoming) {
    const uint64_t id = p.request.id;
    active_[id] = {std::move(p.on_token), std::move(p.on_done)};
    engine_.add(std::move(p.request));
  }
  // A request cancelled before it was admitted is admitted above first, so erasing finds it.
  for (uint64_t id : cancelled) active_.erase(id);
  incoming.clear();
  cancelled.clear();
}

void EngineThreadService::deliver(const StepResult& result, int64_t time_ns) {
  for (const StepResult::Token& t : result.tokens) {
    auto it = active_.find(t.request_id);
    if (it == active_.end()) continue;  // cancelled
    it->second.on_token(t.request_id, t.token, time_ns);
    if (t.finished) {
      it->second.on_done(t.request_id, true, "");
      active_.erase(it);
    }
  }
  for (const StepResult::Failure& f : result.failures) {
    auto it = active_.find(f.request_id);
    if (it == active_.end()) continue;
    it->second.on_done(f.request_id, false, f.reason);
    active_.erase(it);
  }
}

void EngineThreadService::fail_all(const std::string& reason) {
  for (auto& [id, callbacks] : active_) callbacks.on_done(id, false, reason);
  active_.clear();
}

void EngineThreadService::run() {
  std::vector<Pending> incoming;
  std::vector<uint64_t> cancelled;
  for (;;) {
    const bool busy = engine_.pending() > 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock,
                 [&] { return stopping_ || busy || !incoming_.empty() || !cancelled_.empty(); });
      if (stopping_) return;
      incoming.swap(incoming_);
      cancelled.swap(cancelled_);
    }
    try {
      admit(incoming, cancelled);
      if (engine_.pending() == 0) continue;
      const StepResult result = engine_.step();
      deliver(result, steady_now_ns());
    } catch (const std::exception& e) {
      const std::string reason = std::string("engine failed: ") + e.what();
      log_error(reason);
      {
        std::lock_guard lock(mutex_);
        broken_ = reason;
        for (Pending& p : incoming_) p.on_done(p.request.id, false, reason);
        incoming_.clear();
      }
      for (Pending& p : incoming) p.on_done(p.request.id, false, reason);
      incoming.clear();
      fail_all(reason);
      return;
    }
  }
}

}  // namespace tpbench::serve
