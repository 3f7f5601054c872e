#include "engine/cpu/cpu_model_runner.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/model/rope_frequencies.hpp"
#include "engine/scheduler/sampler.hpp"
#include "kernels/cpu/embedding.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/paged_attention.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/silu_mul.hpp"
#include "kernels/cpu/threads.hpp"

namespace tpbench {
namespace {

constexpr int64_t kKvCapBytes = int64_t{4} << 30;

// Engine ranks on this node (from MPI_Comm_split_type over the engine ranks): they share its
// cores and memory.
int ranks_on_node(const EngineOptions& options) {
  return std::max(1, options.local_size);
}

int64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      int64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return kKvCapBytes;  // no /proc: let the cap decide
}

}  // namespace

// Activations of one step, [tokens, width] row-major. Reserved once for the largest step
// (reserve()), then resized within that capacity to each step's token count.
struct CpuModelRunner::Scratch {
  std::vector<int32_t> ids, positions;
  std::vector<int64_t> slots;
  std::vector<cpu::AttentionSeq> seqs;
  std::vector<int64_t> logit_rows;      // the last row of each chunk that wants logits
  std::vector<float> x;                 // residual stream [T, D]
  std::vector<float> h;                 // normalised input of the current block [T, D]
  std::vector<float> q, k, v;           // [T, heads*hd], [T, kv_heads*hd]
  std::vector<float> attn;              // [T, heads*hd]
  std::vector<float> delta;             // o_proj / down_proj output, all-reduced [T, D]
  std::vector<float> gate, up;          // [T, intermediate]
  std::vector<float> cos, sin;          // [T, hd/2]
  std::vector<float> request_inv_freq;  // [hd/2], a request's dynamic-RoPE frequencies
  std::vector<float> final_h;           // normalised rows that want logits [n, D]
  std::vector<float> local_logits;      // [n, local vocab]
  std::vector<float> gathered;          // [tp, n, local vocab]

  // Capacity for steps of up to `max_tokens` rows and `max_seqs` sequences (each may want
  // logits). Untouched capacity costs address space only.
  void reserve(int64_t max_tokens, int64_t max_seqs, const ModelConfig& c, const TpShard& shard) {
    const int64_t D = c.hidden_size, hd = c.head_dim, I = shard.intermediate;
    const int64_t q_width = int64_t{shard.heads} * hd, kv_width = int64_t{shard.kv_heads} * hd;
    ids.reserve(max_tokens);
    positions.reserve(max_tokens);
    slots.reserve(max_tokens);
    seqs.reserve(max_seqs);
    logit_rows.reserve(max_seqs);
    for (auto* buf : {&x, &h, &delta}) buf->reserve(max_tokens * D);
    for (auto* buf : {&q, &attn}) buf->reserve(max_tokens * q_width);
    for (auto* buf : {&k, &v}) buf->reserve(max_tokens * kv_width);
    for (auto* buf : {&gate, &up}) buf->reserve(max_tokens * I);
    for (auto* buf : {&cos, &sin}) buf->reserve(max_tokens * hd / 2);
    request_inv_freq.reserve(hd / 2);
    final_h.reserve(max_seqs * D);
    local_logits.reserve(max_seqs * shard.vocab);
    gathered.reserve(shard.size * max_seqs * shard.vocab);
  }
};

CpuModelRunner::CpuModelRunner(const EngineOptions& options, Communicator& comm)
    : options_(options), comm_(comm), scratch_(std::make_unique<Scratch>()) {
  cpu::set_default_threads(ranks_on_node(options));
  config_ = load_model_config(options.model_dir);
  shard_ = make_tp_shard(config_, comm.rank(), comm.size(), options.model_dir + "/config.json");
  weights_ = options.dummy_weights ? dummy_weights(config_, shard_, options.seed)
                                   : load_weights(config_, shard_, options.model_dir);
  inv_freq_ = rope_inv_freq(config_);
  TPBENCH_CHECK(options.max_batch_size >= 1 && options.max_prefill_tokens >= 1,
                "cpu runner: max_batch_size " + std::to_string(options.max_batch_size) +
                    " and max_prefill_tokens " + std::to_string(options.max_prefill_tokens) +
                    " must be >= 1 (the step limits its buffers are reserved for)");
  max_step_seqs_ = options.max_batch_size;
  max_step_tokens_ = int64_t{options.max_prefill_tokens} + options.max_batch_size;
  scratch_->reserve(max_step_tokens_, max_step_seqs_, config_, shard_);
  logits_.reserve(max_step_seqs_ * config_.vocab_size);
  if (options.dtype != DtypeChoice::kAuto && options.dtype != DtypeChoice::kFloat32 &&
      comm.rank() == 0)
    log_warn("--dtype " + std::string(name_of(options.dtype)) +
             ": the cpu backend computes in float32");
}

CpuModelRunner::~CpuModelRunner() = default;

KvLayout CpuModelRunner::kv_layout(int block_size) const {
  KvLayout layout = kv_layout_for(config_, shard_, block_size, sizeof(float));
  // Dynamic RoPE scaling is what lets a request run past max_position_embeddings (TurboMind
  // bounds it by its session length only; here the KV cache does).
  if (rope_base_varies(config_)) {
    layout.max_context = 0;
    layout.max_context_why.clear();
  }
  return layout;
}

int64_t CpuModelRunner::kv_budget_bytes(double fraction) const {
  if (options_.kv_cache_bytes > 0) return options_.kv_cache_bytes;
  const double budget =
      static_cast<double>(mem_available_bytes()) * fraction / ranks_on_node(options_);
  return std::min(static_cast<int64_t>(budget), kKvCapBytes);
}

void CpuModelRunner::allocate_kv(int32_t num_blocks, int block_size) {
  TPBENCH_CHECK(num_blocks > 0 && block_size > 0, "allocate_kv");
  num_blocks_ = num_blocks;
  block_size_ = block_size;
  const int64_t floats =
      int64_t{num_blocks} * block_size * shard_.kv_heads * int64_t{config_.head_dim};
  k_cache_.clear();
  v_cache_.clear();
  for (int l = 0; l < config_.num_layers; ++l) {
    // Not value-initialised: pages are only touched when a block is first written.
    k_cache_.emplace_back(new float[floats]);
    v_cache_.emplace_back(new float[floats]);
  }
}

void CpuModelRunner::check_plan(const StepPlan& plan) const {
  TPBENCH_CHECK(num_blocks_ > 0, "forward before allocate_kv");
  int64_t tokens = 0;
  for (const SequenceChunk& c : plan.seqs) tokens += static_cast<int64_t>(c.tokens.size());
  TPBENCH_CHECK(
      static_cast<int64_t>(plan.seqs.size()) <= max_step_seqs_ && tokens <= max_step_tokens_,
      "cpu runner: a plan of " + std::to_string(plan.seqs.size()) + " sequences and " +
          std::to_string(tokens) + " tokens exceeds the step it was sized for (" +
          std::to_string(max_step_seqs_) + " sequences = max_batch_size, " +
          std::to_string(max_step_tokens_) + " tokens = max_prefill_tokens + max_batch_size)");
  for (const SequenceChunk& c : plan.seqs) {
    const std::string req = "request " + std::to_string(c.request_id);
    TPBENCH_CHECK(!c.tokens.empty() && c.start_pos >= 0, req + ": empty chunk");
    const int64_t end = c.start_pos + static_cast<int64_t>(c.tokens.size());
    TPBENCH_CHECK(static_cast<int64_t>(c.block_table.size()) * block_size_ >= end,
                  req + ": block table too short");
    const int64_t used_blocks = (end + block_size_ - 1) / block_size_;
    for (int64_t b = 0; b < used_blocks; ++b)
      TPBENCH_CHECK(c.block_table[b] >= 0 && c.block_table[b] < num_blocks_,
                    req + ": block id out of range");
    for (int32_t t : c.tokens)
      if (t < 0 || t >= config_.vocab_size)
        throw InputError(req + ": token id " + std::to_string(t) +
                         " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) +
                         ")");
  }
}

void CpuModelRunner::forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
                             std::vector<int32_t>& tokens) {
  forward_logits(plan, logits_);
  tokens.clear();
  const size_t n = logits_.size() / config_.vocab_size;
  if (shard_.rank != 0) {
    TPBENCH_CHECK(rows.empty(), "cpu runner: " + std::to_string(rows.size()) +
                                    " sampling rows on TP follower rank " +
                                    std::to_string(shard_.rank));
    return;
  }
  TPBENCH_CHECK(rows.size() == n, "cpu runner: " + std::to_string(rows.size()) +
                                      " sampling rows for " + std::to_string(n) + " logit rows");
  sample_rows(logits_.data(), config_.vocab_size, rows, tokens);
}

void CpuModelRunner::forward_logits(const StepPlan& plan, std::vector<float>& logits) {
  logits.clear();
  check_plan(plan);
  Scratch& s = *scratch_;
  const ModelConfig& c = config_;
  const int64_t D = c.hidden_size, hd = c.head_dim, I = shard_.intermediate;
  const int64_t q_width = int64_t{shard_.heads} * hd, kv_width = int64_t{shard_.kv_heads} * hd;
  const float eps = static_cast<float>(c.rms_norm_eps);

  // Flatten the plan: every token of every chunk is one row of the activations.
  s.ids.clear();
  s.positions.clear();
  s.slots.clear();
  s.seqs.clear();
  s.logit_rows.clear();
  for (const SequenceChunk& chunk : plan.seqs) {
    cpu::AttentionSeq seq;
    seq.first_token = static_cast<int64_t>(s.ids.size());
    seq.n_tokens = static_cast<int32_t>(chunk.tokens.size());
    seq.start_pos = chunk.start_pos;
    seq.block_table = chunk.block_table.data();
    s.seqs.push_back(seq);
    for (size_t i = 0; i < chunk.tokens.size(); ++i) {
      const int32_t pos = chunk.start_pos + static_cast<int32_t>(i);
      s.ids.push_back(chunk.tokens[i]);
      s.positions.push_back(pos);
      s.slots.push_back(int64_t{chunk.block_table[pos / block_size_]} * block_size_ +
                        pos % block_size_);
    }
    if (chunk.want_logits) s.logit_rows.push_back(static_cast<int64_t>(s.ids.size()) - 1);
  }
  const int64_t T = static_cast<int64_t>(s.ids.size());
  if (T == 0) return;
  s.x.resize(T * D);
  s.h.resize(T * D);
  s.delta.resize(T * D);
  s.q.resize(T * q_width);
  s.attn.resize(T * q_width);
  s.k.resize(T * kv_width);
  s.v.resize(T * kv_width);
  s.gate.resize(T * I);
  s.up.resize(T * I);
  s.cos.resize(T * hd / 2);
  s.sin.resize(T * hd / 2);

  cpu::embedding_gather(weights_.embedding.data(), D, s.ids.data(), T, s.x.data());
  // Each chunk's rotary angles, with its request's base (dynamic scaling) or the model's.
  for (size_t i = 0; i < plan.seqs.size(); ++i) {
    const int64_t first = s.seqs[i].first_token, n = s.seqs[i].n_tokens;
    const double base = rope_base_for_request(c, plan.seqs[i].prompt_len);
    if (base != c.rope_theta) s.request_inv_freq = rope_inv_freq(c, base);
    const std::vector<float>& freq = base != c.rope_theta ? s.request_inv_freq : inv_freq_;
    cpu::rope_cos_sin(freq.data(), hd / 2, s.positions.data() + first, n,
                      s.cos.data() + first * (hd / 2), s.sin.data() + first * (hd / 2));
  }

  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[l];
    auto bias = [](const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); };
    // Attention block. The previous block's output (delta) joins the residual stream here.
    if (l == 0) {
      cpu::rmsnorm(s.x.data(), w.attn_norm.data(), T, D, eps, s.h.data());
    } else {
      cpu::add_rmsnorm(s.x.data(), s.delta.data(), w.attn_norm.data(), T, D, eps, s.h.data());
    }
    cpu::linear(s.h.data(), T, D, w.wq.data(), q_width, bias(w.bq), s.q.data());
    cpu::linear(s.h.data(), T, D, w.wk.data(), kv_width, bias(w.bk), s.k.data());
    cpu::linear(s.h.data(), T, D, w.wv.data(), kv_width, bias(w.bv), s.v.data());
    cpu::rope_write_kv_cache(s.q.data(), s.k.data(), s.v.data(), s.cos.data(), s.sin.data(),
                             s.slots.data(), T, shard_.heads, shard_.kv_heads, c.head_dim,
                             k_cache_[l].get(), v_cache_[l].get());
    cpu::paged_attention(s.q.data(), k_cache_[l].get(), v_cache_[l].get(), s.seqs.data(),
                         static_cast<int>(s.seqs.size()), shard_.heads, shard_.kv_heads, c.head_dim,
                         block_size_, s.attn.data(), c.attention_window(l));
    // Row-parallel o_proj: partial sums over this rank's heads; the bias is added once.
    cpu::linear(s.attn.data(), T, q_width, w.wo.data(), D, shard_.rank == 0 ? bias(w.bo) : nullptr,
                s.delta.data());
    comm_.all_reduce_sum(s.delta.data(), T * D);

    // MLP block (SwiGLU).
    cpu::add_rmsnorm(s.x.data(), s.delta.data(), w.ffn_norm.data(), T, D, eps, s.h.data());
    cpu::linear(s.h.data(), T, D, w.w_gate.data(), I, bias(w.b_gate), s.gate.data());
    cpu::linear(s.h.data(), T, D, w.w_up.data(), I, bias(w.b_up), s.up.data());
    cpu::silu_mul(s.gate.data(), s.up.data(), T * I, s.gate.data());
    // Row-parallel down_proj: as o_proj, its bias is added on one rank only.
    cpu::linear(s.gate.data(), T, I, w.w_down.data(), D,
                shard_.rank == 0 ? bias(w.b_down) : nullptr, s.delta.data());
    comm_.all_reduce_sum(s.delta.data(), T * D);
  }
  compute_logits(s.logit_rows, logits);
}

// Final norm and LM head on the rows that want logits only. Each rank computes its vocabulary
// slice; an all-gather assembles full rows (every rank gets them; only the leader uses them).
void CpuModelRunner::compute_logits(const std::vector<int64_t>& rows, std::vector<float>& logits) {
  Scratch& s = *scratch_;
  const int64_t n = static_cast<int64_t>(rows.size());
  if (n == 0) return;
  const int64_t D = config_.hidden_size, V = config_.vocab_size, Vl = shard_.vocab;
  s.final_h.resize(n * D);
  for (int64_t i = 0; i < n; ++i) {
    const float* x = s.x.data() + rows[i] * D;
    const float* d = s.delta.data() + rows[i] * D;
    for (int64_t j = 0; j < D; ++j) s.final_h[i * D + j] = x[j] + d[j];
  }
  cpu::rmsnorm(s.final_h.data(), weights_.final_norm.data(), n, D,
               static_cast<float>(config_.rms_norm_eps), s.final_h.data());
  logits.resize(n * V);
  if (shard_.size == 1) {
    cpu::linear(s.final_h.data(), n, D, weights_.lm_head_rows(config_, shard_), V, nullptr,
                logits.data());
    return;
  }
  s.local_logits.resize(n * Vl);
  s.gathered.resize(shard_.size * n * Vl);
  cpu::linear(s.final_h.data(), n, D, weights_.lm_head_rows(config_, shard_), Vl, nullptr,
              s.local_logits.data());
  comm_.all_gather(s.local_logits.data(), s.gathered.data(), n * Vl);
  for (int r = 0; r < shard_.size; ++r)
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(s.gathered.data() + (r * n + i) * Vl, Vl, logits.data() + i * V + r * Vl);
}

std::string CpuModelRunner::describe() const {
  const ModelConfig& c = config_;
  std::ostringstream out;
  out << "cpu fp32 " << c.model_type << " layers " << c.num_layers << " hidden " << c.hidden_size
      << " heads " << c.num_heads << "/" << c.num_kv_heads << " vocab " << c.vocab_size << ", tp "
      << shard_.size << ", weights " << std::fixed << std::setprecision(1)
      << static_cast<double>(weights_.bytes()) / (1 << 20) << " MiB/rank"
      << (c.rope_scaling.type != "none" ? ", rope " + c.rope_scaling.type : std::string())
      << (c.has_sliding_window() ? ", sliding window " + std::to_string(c.sliding_window)
                                 : std::string())
      << (options_.dummy_weights ? " (dummy)" : "") << ", " << cpu::kernel_threads()
      << " threads/rank";
  return out.str();
}

}  // namespace tpbench
