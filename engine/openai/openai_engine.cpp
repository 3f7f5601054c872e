#include "engine/openai/openai_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "engine/openai/chunk_token_count.hpp"
#include "engine/openai/http_stream_client.hpp"
#include "engine/openai/request_body.hpp"
#include "engine/openai/response_decoder.hpp"
#include "engine/openai/served_model.hpp"
#include "engine/openai/stream_reader.hpp"
#include "engine/openai/token_times.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tpbench {
namespace {

constexpr int kStepWaitMs = 2;  // step() blocks at most this long when nothing has arrived
constexpr int64_t kModelsTimeoutMs = 30'000;
constexpr int32_t kWarmupOutputTokens = 16;
constexpr const char* kWarmupPrompt = "Hello, my name is";

openai::Endpoint endpoint_of(OpenAiEndpoint e) {
  return e == OpenAiEndpoint::kChatCompletions ? openai::Endpoint::kChatCompletions
                                               : openai::Endpoint::kCompletions;
}

double as_written(float value) {
  return std::round(static_cast<double>(value) * 1e6) / 1e6;
}

struct HeldToken {
  int32_t id;
  int64_t time_ns;
};

struct Stream {
  explicit Stream(openai::Endpoint endpoint) : reader(endpoint) {}
  openai::StreamReader reader;
  int64_t last_content_ns = -1;   // arrival of the previous content chunk
  int64_t usage_tokens_seen = 0;  // usage.completion_tokens so far (continuous usage)
  std::vector<HeldToken> held;    // the latest content chunk's tokens
  int64_t counted = 0;            // tokens handed out or held
};

class OpenAiEngine final : public Engine, public HttpStreamSink {
 public:
  explicit OpenAiEngine(const EngineOptions& options)
      : options_(options.openai),
        endpoint_(endpoint_of(options.openai.endpoint)),
        tokenizer_(load_tokenizer(options.model_dir)),
        chunk_tokens_(*tokenizer_) {
    TPBENCH_CHECK(!options_.base_urls.empty(), "--backend openai without --base-url");
    base_url_ = normalized_base_url(
        options_.base_urls[static_cast<size_t>(options.replica) % options_.base_urls.size()]);
    url_ = base_url_ + std::string(openai::endpoint_path(endpoint_));
    if (const char* key = std::getenv("OPENAI_API_KEY"); key != nullptr && *key != '\0')
      headers_.push_back(std::string("Authorization: Bearer ") + key);
    headers_.push_back("Content-Type: application/json");
    transport_.max_connections = std::max(1, options.max_batch_size) + 4;
    transport_.use_proxy = options_.use_proxy;
    transport_.insecure = options_.insecure;
    timeout_ms_ = static_cast<int64_t>(options_.request_timeout_s * 1000.0);
    openai::check_extra_body(options_.extra_body);
    model_ = openai::resolve_served_model(
        base_url_, options_.served_model_name, headers_,
        timeout_ms_ > 0 ? std::min(timeout_ms_, kModelsTimeoutMs) : kModelsTimeoutMs, transport_);
    client_ = std::make_unique<HttpStreamClient>(transport_, *this);
    warm_up(options_.warmup);
  }

  ~OpenAiEngine() override { shutdown(); }

  void add(EngineRequest request) override { start(std::move(request), true); }

  StepResult step() override {
    const int64_t began = steady_now_ns();
    ++stats_.steps;
    client_->poll(empty(result_) ? kStepWaitMs : 0);
    stats_.busy_ns += steady_now_ns() - began;
    StepResult out = std::move(result_);
    result_ = {};
    stats_.decode_tokens += static_cast<int64_t>(out.tokens.size());
    return out;
  }

  size_t pending() const override { return streams_.size(); }

  void cancel(uint64_t id) override {
    if (streams_.erase(id) == 0) return;
    client_->cancel(id);
    std::erase_if(result_.tokens, [id](const StepResult::Token& t) { return t.request_id == id; });
  }

  void run_follower() override {
    throw std::logic_error("--backend openai runs one client per rank (tp 1): no followers");
  }

  void shutdown() override {
    if (!client_) return;
    for (const auto& [id, stream] : streams_) client_->cancel(id);
    streams_.clear();
    client_->poll(0);
  }

  EngineStats stats() const override { return stats_; }

  std::string describe() const override {
    return "openai " + url_ + " model '" + model_ + "', prompts as " +
           std::string(name_of(options_.prompt_format));
  }

 private:
  // send_sampling false: no temperature / top_p / top_k, the server's defaults (warm-up).
  void start(EngineRequest request, bool send_sampling) {
    openai::RequestSpec spec;
    spec.model = model_;
    spec.endpoint = endpoint_;
    if (options_.prompt_format == PromptFormat::kIds) {
      spec.prompt_as_ids = true;
      spec.prompt_ids = std::move(request.prompt);
    } else if (!request.prompt_text.empty()) {
      spec.prompt_text = std::move(request.prompt_text);
    } else {
      spec.prompt_text = decode_prompt(request.prompt);
    }
    spec.max_tokens = request.max_new_tokens;
    spec.ignore_eos = true;  // LMDeploy's semantics: exactly max_new_tokens tokens
    spec.min_tokens = request.max_new_tokens;
    // The flags are doubles carried as floats: send the value as written (0.8, not 0.800000011).
    if (send_sampling) {
      spec.temperature = as_written(request.sampling.temperature);
      spec.top_p = as_written(request.sampling.top_p);
      spec.top_k = request.sampling.top_k;
    }
    spec.extra_body_json = options_.extra_body;
    spec.omit_fields = options_.omit_fields;

    HttpRequest http;
    http.id = request.id;
    http.url = url_;
    http.headers = headers_;
    http.body = openai::build_request_body(spec);
    http.timeout_ms = timeout_ms_;
    TPBENCH_CHECK(streams_.find(request.id) == streams_.end(), "openai: request id added twice");
    streams_.emplace(request.id, Stream(endpoint_));
    client_->start(std::move(http));
  }

  static bool empty(const StepResult& r) {
    return r.tokens.empty() && r.failures.empty() && r.accounting.empty();
  }

  std::string decode_prompt(const std::vector<int32_t>& ids) const {
    size_t skip = (!ids.empty() && ids.front() == tokenizer_->bos_id()) ? 1 : 0;
    return tokenizer_->decode(std::span<const int32_t>(ids).subspan(skip));
  }

  // Tokens in one content chunk (see the header).
  int32_t tokens_in(const openai::StreamChunk& chunk, Stream& stream) const {
    if (chunk.has_token_ids && !chunk.token_ids.empty())
      return static_cast<int32_t>(chunk.token_ids.size());
    if (chunk.usage && chunk.usage->completion_tokens >= 0) {
      const int64_t delta = chunk.usage->completion_tokens - stream.usage_tokens_seen;
      stream.usage_tokens_seen = chunk.usage->completion_tokens;
      if (delta >= 1) return static_cast<int32_t>(delta);
    }
    return chunk_tokens_.count(chunk.content_text + chunk.reasoning_text);
  }

  void release_held(uint64_t id, Stream& stream, bool last) {
    for (size_t i = 0; i < stream.held.size(); ++i) {
      const bool finished = last && i + 1 == stream.held.size();
      result_.tokens.push_back({id, stream.held[i].id, finished, stream.held[i].time_ns});
    }
    stream.held.clear();
  }

  // Handles the chunks of one feed; false when the request failed (and was ended).
  bool take_chunks(uint64_t id, Stream& stream, int64_t arrival_ns) {
    for (const openai::StreamChunk& chunk : chunks_) {
      if (chunk.failed()) {
        fail(id, stream, chunk.error);
        return false;
      }
      if (!chunk.has_content) continue;
      const int32_t k = tokens_in(chunk, stream);
      const std::vector<int64_t> times =
          openai::chunk_token_times(stream.last_content_ns, arrival_ns, k);
      release_held(id, stream, false);
      for (size_t j = 0; j < times.size(); ++j) {
        const bool have_id = chunk.has_token_ids && j < chunk.token_ids.size();
        stream.held.push_back({have_id ? chunk.token_ids[j] : -1, times[j]});
      }
      stream.counted += static_cast<int64_t>(times.size());
      stream.last_content_ns = arrival_ns;
    }
    return true;
  }

  void fail(uint64_t id, Stream& stream, const std::string& reason) {
    release_held(id, stream, false);
    result_.failures.push_back({id, reason, steady_now_ns()});
    streams_.erase(id);
  }

  void on_headers(uint64_t, long) override {}

  void on_body(uint64_t id, std::string_view bytes, int64_t arrival_ns) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    chunks_.clear();
    it->second.reader.feed(bytes, chunks_);
    if (!take_chunks(id, it->second, arrival_ns)) client_->cancel(id);
  }

  void on_done(uint64_t id, const HttpOutcome& outcome) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Stream& stream = it->second;
    if (!outcome.ok()) {
      fail(id, stream,
           outcome.kind == HttpOutcomeKind::kHttpError
               ? openai::describe_error_body(static_cast<int>(outcome.http_status),
                                             outcome.error_body) +
                     " (" + url_ + ")"
               : outcome.message);
      return;
    }
    chunks_.clear();
    stream.reader.finish(chunks_);
    if (!take_chunks(id, stream, steady_now_ns())) return;
    if (stream.counted == 0) {
      fail(id, stream, "the stream completed without any content (" + url_ + ")");
      return;
    }
    release_held(id, stream, true);
    StepResult::Accounting accounting{id};
    if (const auto& usage = stream.reader.decoder().usage()) {
      accounting.prompt_tokens = static_cast<int32_t>(usage->prompt_tokens);
      accounting.output_tokens = static_cast<int32_t>(usage->completion_tokens);
    }
    result_.accounting.push_back(accounting);
    streams_.erase(it);
  }

  // --warmup: n short requests, all at once, before t0; their results are dropped.
  void warm_up(int n) {
    if (n <= 0) return;
    const std::vector<int32_t> ids = tokenizer_->encode(kWarmupPrompt, true);
    for (int i = 0; i < n; ++i) {
      EngineRequest request;
      request.id = static_cast<uint64_t>(i);
      request.prompt = ids;
      request.prompt_text = kWarmupPrompt;
      request.max_new_tokens = kWarmupOutputTokens;
      start(std::move(request), false);
    }
    const int64_t limit_ns = (timeout_ms_ > 0 ? timeout_ms_ : 600'000) * 1'000'000;
    const int64_t deadline = steady_now_ns() + limit_ns;
    while (!streams_.empty()) {
      if (steady_now_ns() > deadline) {
        shutdown();
        throw InputError("--warmup: " + url_ + " did not answer " + std::to_string(n) +
                         " warm-up requests in time");
      }
      StepResult step = this->step();
      if (!step.failures.empty()) {
        shutdown();
        throw InputError("--warmup: a warm-up request to " + url_ +
                         " failed: " + step.failures.front().reason);
      }
    }
    stats_ = {};
  }

  OpenAiClientOptions options_;
  openai::Endpoint endpoint_;
  std::unique_ptr<Tokenizer> tokenizer_;
  openai::ChunkTokenCounter chunk_tokens_;
  std::string base_url_;
  std::string url_;
  std::string model_;
  std::vector<std::string> headers_;  // holds the API key: never printed
  HttpTransportOptions transport_;
  int64_t timeout_ms_ = 0;
  std::unique_ptr<HttpStreamClient> client_;
  std::unordered_map<uint64_t, Stream> streams_;
  std::vector<openai::StreamChunk> chunks_;  // scratch
  StepResult result_;
  EngineStats stats_;
};

}  // namespace

std::string normalized_base_url(const std::string& base_url) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

std::unique_ptr<Engine> make_openai_engine(const EngineOptions& options) {
  return std::make_unique<OpenAiEngine>(options);
}

}  // namespace tpbench
