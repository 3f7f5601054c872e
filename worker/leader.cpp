#include "worker/leader.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "common/error.hpp"

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
  std::deque<WorkloadRequest> queue(std::make_move_iterator(go.shard.begin()),
                                    std::make_move_iterator(go.shard.end()));
  go.shard.clear();
  bool exhausted = !go.dynamic;
  bool work_outstanding = false;
  const int batch_want = std::clamp(config.slots, 1, 64);

  std::unordered_map<uint64_t, RequestRecord> in_flight;
  in_flight.reserve(static_cast<size_t>(config.slots) * 2);
  RecordBatcher batcher(config, sink);
  LeaderResult result;
  int free_slots = config.slots;

  while (true) {
    if (config.stop && config.stop->stop_requested()) {
      result.stopped = true;
      result.abandoned = in_flight.size() + queue.size();
      break;
    }
    if (!exhausted) {
      if (!work_outstanding && queue.size() < static_cast<size_t>(batch_want)) {
        work->request_work(batch_want);
        work_outstanding = true;
      }
      // Block only when there is nothing else to do.
      int wait_ms = (queue.empty() && in_flight.empty()) ? 100 : 0;
      if (auto batch = work->poll_work(wait_ms)) {
        for (auto& r : batch->requests) queue.push_back(std::move(r));
        exhausted = batch->exhausted;
        work_outstanding = false;
      }
    }
    while (free_slots > 0 && !queue.empty()) {
      WorkloadRequest req = std::move(queue.front());
      queue.pop_front();
      RequestRecord rec;
      rec.id = req.id;
      rec.replica = config.replica;
      rec.prompt_tokens = req.prompt_len;
      EngineRequest er;
      er.id = req.id;
      er.prompt = std::move(req.prompt_ids);
      er.prompt_text = std::move(req.prompt_text);
      er.max_new_tokens = req.output_len;
      er.sampling = config.sampling;
      er.sampling.seed = config.sampling.seed + req.id;
      if (config.stream_output)
        rec.token_ns.reserve(static_cast<size_t>(std::max(req.output_len, 0)));
      rec.submit_ns = clock.now();
      rec.scheduled_ns = rec.submit_ns;
      in_flight.emplace(req.id, std::move(rec));
      engine.add(std::move(er));
      --free_slots;
    }
    if (in_flight.empty()) {
      if (exhausted && queue.empty()) break;
      batcher.maybe_flush(clock.now());
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
      const int64_t at = t.time_ns != 0 ? std::min(t.time_ns - clock.t0_ns(), now) : now;
      if (rec.output_tokens == 0) rec.first_token_ns = at;
      ++rec.output_tokens;
      if (config.stream_output) rec.token_ns.push_back(at);
      if (config.record_tokens) rec.token_ids.push_back(t.token);
      if (t.finished) {
        apply_server_accounting(rec, step.accounting);
        rec.finish_ns = at;
        batcher.add(std::move(rec), now);
        in_flight.erase(it);
        ++free_slots;
        ++result.completed;
      }
    }
    for (const auto& f : step.failures) {
      auto it = in_flight.find(f.request_id);
      TPBENCH_CHECK(it != in_flight.end(), "engine failed an unknown request");
      RequestRecord& rec = it->second;
      rec.ok = false;
      rec.error = f.reason;
      rec.finish_ns = now;
      batcher.add(std::move(rec), now);
      in_flight.erase(it);
      ++free_slots;
      ++result.failed;
    }
    batcher.maybe_flush(now);
  }
  batcher.flush();
  result.records_sent = batcher.sent();
  return result;
}

}  // namespace tpbench
