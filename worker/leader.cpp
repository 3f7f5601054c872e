#include "worker/leader.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <unordered_map>

#include "common/error.hpp"
#include "worker/arrival_thread.hpp"

namespace tpbench {
namespace {

class RecordBatcher {
 public:
  RecordBatcher(const LeaderConfig& config, RecordSink& sink) : config_(config), sink_(sink) {
    batch_.replica = config.replica;
  }

  void add(RequestRecord&& record, int64_t now) {
    if (batch_.records.empty()) first_ns_ = now;
    batch_.records.push_back(std::move(record));
    if (batch_.records.size() >= config_.batch_records) flush();
  }

  void maybe_flush(int64_t now) {
    if (!batch_.records.empty() && now - first_ns_ >= config_.batch_interval_ns) flush();
  }

  void flush() {
    if (batch_.records.empty()) return;
    sent_ += batch_.records.size();
    sink_.push_records(batch_);
    ++batch_.seq;
    batch_.records.clear();
  }

  uint64_t sent() const { return sent_; }

 private:
  const LeaderConfig& config_;
  RecordSink& sink_;
  wire::RecordBatchMsg batch_;
  int64_t first_ns_ = 0;
  uint64_t sent_ = 0;
};

// Whether the run is open loop, from its requests: every one has a scheduled time, or none.
class LoadMode {
 public:
  bool open_loop(const WorkloadRequest& r) {
    const bool open = r.scheduled_ns >= 0;
    if (!known_) {
      known_ = true;
      open_ = open;
    }
    TPBENCH_CHECK(open == open_, "the workload mixes open-loop and closed-loop requests");
    return open;
  }

 private:
  bool known_ = false;
  bool open_ = false;
};

// A client backend's finished request: output_tokens so far is what the client counted; the
// server's usage, when it sent one, replaces it (and the prompt's count).
void apply_server_accounting(RequestRecord& rec, const std::vector<StepResult::Accounting>& all) {
  for (const auto& a : all) {
    if (a.request_id != rec.id) continue;
    rec.client_output_tokens = rec.output_tokens;
    if (a.output_tokens >= 0) rec.output_tokens = a.output_tokens;
    if (a.prompt_tokens >= 0) rec.prompt_tokens = a.prompt_tokens;
    return;
  }
}

}  // namespace

LeaderResult run_leader_loop(Engine& engine, const LeaderConfig& config, wire::GoMsg go,
                             RecordSink& sink, WorkSource* work, const RunClock& clock) {
  TPBENCH_CHECK(!go.dynamic || work != nullptr, "dynamic dispatch needs a work source");
  // Closed loop: requests wait here for a slot. Open loop: the arrival thread takes them in.
  std::deque<WorkloadRequest> queue;
  std::unique_ptr<ArrivalThread> arrivals;
  std::vector<Arrival> arrived;
  LoadMode mode;
  auto accept = [&](std::vector<WorkloadRequest>& requests) {
    std::vector<WorkloadRequest> open;
    for (auto& r : requests) {
      if (!mode.open_loop(r)) {
        queue.push_back(std::move(r));
        continue;
      }
      open.push_back(std::move(r));
    }
    if (open.empty()) return;
    if (!arrivals)
      arrivals =
          std::make_unique<ArrivalThread>(clock, config.max_in_flight, config.arrival_spin_ns);
    arrivals->add(std::move(open));
  };
  accept(go.shard);
  go.shard.clear();
  // A replica without slots (-c or --max-concurrency below the replica count) takes no work.
  bool exhausted = !go.dynamic || config.slots <= 0;
  bool work_outstanding = false;
  const int batch_want = std::clamp(config.slots, 1, 64);
  const auto not_taken_in = [&] { return arrivals ? arrivals->outstanding() : size_t{0}; };

  std::unordered_map<uint64_t, RequestRecord> in_flight;
  in_flight.reserve(static_cast<size_t>(config.slots) * 2);
  RecordBatcher batcher(config, sink);
  LeaderResult result;
  int free_slots = config.slots;
  // rec holds the open-loop times; a closed-loop request is due when its slot takes it.
  auto start_request = [&](WorkloadRequest& req, RequestRecord&& rec, bool closed_loop) {
    rec.id = req.id;
    rec.replica = config.replica;
    rec.prompt_tokens = req.prompt_len;
    rec.requested_output_tokens = req.output_len;
    EngineRequest er;
    er.id = req.id;
    er.prompt = std::move(req.prompt_ids);
    er.prompt_text = std::move(req.prompt_text);
    er.max_new_tokens = req.output_len;
    er.sampling = config.sampling;
    er.sampling.seed = config.sampling.seed + req.id;
    if (config.stream_output)
      rec.token_ns.reserve(static_cast<size_t>(std::max(req.output_len, 0)));
    if (closed_loop) {
      rec.submit_ns = clock.now();
      rec.scheduled_ns = rec.submit_ns;
    }
    in_flight.emplace(req.id, std::move(rec));
    engine.add(std::move(er));
  };
  auto slot_freed = [&] {
    if (arrivals)
      arrivals->release();
    else
      ++free_slots;
  };

  while (true) {
    if (config.stop && config.stop->stop_requested()) {
      result.stopped = true;
      result.abandoned = in_flight.size() + queue.size() + not_taken_in();
      break;
    }
    if (!exhausted) {
      if (!work_outstanding && queue.size() + not_taken_in() < static_cast<size_t>(batch_want)) {
        work->request_work(batch_want);
        work_outstanding = true;
      }
      // Block only when there is nothing else to do (arrivals due wake the wait below).
      int wait_ms = (queue.empty() && in_flight.empty() && not_taken_in() == 0) ? 100 : 0;
      if (auto batch = work->poll_work(wait_ms)) {
        accept(batch->requests);
        exhausted = batch->exhausted;
        work_outstanding = false;
      }
    }
    while (free_slots > 0 && !queue.empty()) {
      WorkloadRequest req = std::move(queue.front());
      queue.pop_front();
      start_request(req, RequestRecord{}, true);
      --free_slots;
    }
    if (arrivals) {
      arrivals->drain(arrived);
      for (Arrival& a : arrived) {
        RequestRecord rec;
        rec.scheduled_ns = a.request.scheduled_ns;
        rec.queue_ns = a.queue_ns;
        rec.submit_ns = a.submit_ns;
        start_request(a.request, std::move(rec), false);
      }
      arrived.clear();
    }
    if (in_flight.empty()) {
      if (exhausted && queue.empty() && not_taken_in() == 0) break;
      batcher.maybe_flush(clock.now());
      // Idle until the next arrival (a short wait: the stop signal and work are polled too).
      if (not_taken_in() > 0) arrivals->wait_taken_in(exhausted ? 50'000'000 : 1'000'000);
      continue;
    }

    if (config.step_watch) config.step_watch->enter();
    StepResult step = engine.step();
    if (config.step_watch) config.step_watch->leave();
    const int64_t now = clock.now();
    for (const auto& t : step.tokens) {
      auto it = in_flight.find(t.request_id);
      TPBENCH_CHECK(it != in_flight.end(), "engine produced a token for an unknown request");
      RequestRecord& rec = it->second;
      const int64_t token_ns = std::min(clock.since_t0(t.time_ns), now);  // when the engine had it
      if (rec.output_tokens == 0) rec.first_token_ns = token_ns;
      ++rec.output_tokens;
      if (config.stream_output) rec.token_ns.push_back(token_ns);
      if (config.record_tokens) rec.token_ids.push_back(t.token);
      if (t.finished) {
        apply_server_accounting(rec, step.accounting);
        rec.finish_ns = token_ns;
        batcher.add(std::move(rec), now);
        in_flight.erase(it);
        slot_freed();
        ++result.completed;
      }
    }
    for (const auto& f : step.failures) {
      auto it = in_flight.find(f.request_id);
      TPBENCH_CHECK(it != in_flight.end(), "engine failed an unknown request");
      RequestRecord& rec = it->second;
      rec.ok = false;
      rec.error = f.reason;
      rec.finish_ns = clock.since_t0(f.time_ns);
      batcher.add(std::move(rec), now);
      in_flight.erase(it);
      slot_freed();
      ++result.failed;
    }
    batcher.maybe_flush(now);
  }
  batcher.flush();
  result.records_sent = batcher.sent();
  return result;
}

}  // namespace tpbench
