#include "engine/cuda/cuda_model_runner.hpp"

#include <iomanip>
#include <sstream>

#include "common/error.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/rope_frequencies.hpp"
#include "kernels/cuda/attention_limits.hpp"
#include "kernels/cuda/cuda_check.hpp"
#if TPBENCH_HAVE_NCCL
#include "engine/cuda/nccl_communicator.hpp"
#endif

namespace tpbench {
namespace {

constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

std::string mib(int64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(0) << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return out.str();
}

}  // namespace

CudaModelRunner::CudaModelRunner(const EngineOptions& options, Communicator& comm,
                                 const CudaTuning& tuning)
    : options_(options), comm_(comm), tuning_(tuning) {
  gpu_ = select_gpu(options.local_rank, options.node_all_gather);
  config_ = load_model_config(options.model_dir);
  const std::string config_path = options.model_dir + "/config.json";
  if (config_.head_dim > cuda::kMaxHeadDim || config_.head_dim % 2 != 0)
    throw InputError(config_path + ": head_dim " + std::to_string(config_.head_dim) +
                     ": the cuda backend supports even head sizes up to " +
                     std::to_string(cuda::kMaxHeadDim));
  shard_ = make_tp_shard(config_, comm.rank(), comm.size(), config_path);
  dtype_ = resolve_dtype(options.dtype, options.model_dir, options.dummy_weights);
  check_dtype_supported(dtype_, gpu_);

  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUBLAS_CHECK(cublasCreate(&cublas_));
  // Our own workspace, allocated before the KV cache is sized from the free memory.
  CUDA_CHECK(cudaMalloc(&cublas_workspace_, kCublasWorkspaceBytes));
  CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes));
  if (comm.size() > 1 || tuning.nccl_at_tp1) {
#if TPBENCH_HAVE_NCCL
    nccl_ = std::make_unique<NcclCommunicator>(comm, stream_);
#else
    throw InputError("--tp " + std::to_string(comm.size()) +
                     " with --backend cuda: this build has no NCCL (install it beside CUDA)");
#endif
  }

  ForwardContext ctx;
  ctx.config = config_;
  ctx.shard = shard_;
  ctx.inv_freq = rope_inv_freq(config_);
  ctx.stream = stream_;
  ctx.cublas = cublas_;
  ctx.device_comm = nccl_.get();
  ctx.reserve_tokens = int64_t{options.max_prefill_tokens} + options.max_batch_size;
  ctx.reserve_logit_rows = options.max_batch_size;
  ctx.cuda_graphs = options.cuda_graphs;
  ctx.reserve_sampling = !options.greedy_only;
  ctx.tuning = tuning;
  pass_ =
      make_forward_pass(dtype_, ctx,
                        options.dummy_weights ? dummy_weights(config_, shard_, options.seed)
                                              : load_weights(config_, shard_, options.model_dir));
}

CudaModelRunner::~CudaModelRunner() {
  pass_.reset();
  nccl_.reset();
  if (cublas_ != nullptr) (void)cublasDestroy(cublas_);
  if (cublas_workspace_ != nullptr) (void)cudaFree(cublas_workspace_);
  if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
}

// The cuda backend has neither dynamic RoPE scaling nor sliding-window attention: the scheduler
// refuses, as failed requests naming why, those that would need them (prompt + max_new_tokens
// past max_position_embeddings, or past the sliding window; within the window, full attention
// is exact).
KvLayout CudaModelRunner::kv_layout(int block_size) const {
  KvLayout layout =
      kv_layout_for(config_, shard_, block_size, static_cast<int>(dtype_bytes(dtype_)));
  if (rope_base_varies(config_))
    layout.max_context_why =
        "max_position_embeddings; dynamic RoPE scaling past it runs on the cpu backend only";
  if (config_.has_sliding_window() && config_.sliding_window < layout.max_context) {
    layout.max_context = config_.sliding_window;
    layout.max_context_why =
        "sliding_window; sliding-window attention runs on the cpu backend only";
  }
  return layout;
}

int64_t CudaModelRunner::kv_budget_bytes(double fraction) const {
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  // Ranks sharing the GPU each take their share of the fraction: whichever measures first, the
  // caches together stay within fraction x the free memory.
  const int64_t budget =
      static_cast<int64_t>(static_cast<double>(free_bytes) * fraction / gpu_.sharing_ranks);
  const int64_t one_context = kv_layout(1).bytes_per_block * config_.max_position_embeddings;
  if (budget < one_context)
    throw InputError(
        "--cache-max-entry-count " + std::to_string(fraction) + ": the KV cache (" + mib(budget) +
        " of " + mib(static_cast<int64_t>(free_bytes)) + " free on GPU " +
        std::to_string(gpu_.device) + " after the weights" +
        (gpu_.sharing_ranks > 1 ? ", shared by " + std::to_string(gpu_.sharing_ranks) + " ranks"
                                : std::string()) +
        ") does not hold one request of the model's context (" +
        std::to_string(config_.max_position_embeddings) + " tokens need " + mib(one_context) + ")");
  return budget;
}

void CudaModelRunner::allocate_kv(int32_t num_blocks, int block_size) {
  TPBENCH_CHECK(num_blocks > 0 && block_size > 0, "allocate_kv");
  if (pass_->allocate_kv(num_blocks, block_size) != cudaSuccess) {
    size_t free_bytes = 0, total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    throw InputError(
        "KV cache: " + std::to_string(num_blocks) + " blocks of " + std::to_string(block_size) +
        " tokens (" + mib(kv_layout(block_size).bytes_per_block * num_blocks) +
        ") do not fit in the " + mib(static_cast<int64_t>(free_bytes)) + " free on GPU " +
        std::to_string(gpu_.device) + " (lower --kv-cache-bytes or --cache-max-entry-count)");
  }
  num_blocks_ = num_blocks;
  block_size_ = block_size;
}

void CudaModelRunner::forward(const StepPlan& plan, const std::vector<SamplingRow>& rows,
                              std::vector<int32_t>& tokens) {
  build_step_metadata(plan, block_size_, num_blocks_, config_.vocab_size, meta_);
  if (shard_.rank == 0) {
    pass_->forward_sampled(meta_, rows, tokens);
    return;
  }
  TPBENCH_CHECK(rows.empty(), std::to_string(rows.size()) + " sampling rows on TP follower rank " +
                                  std::to_string(shard_.rank));
  tokens.clear();
  pass_->forward(meta_, no_logits_, /*copy_logits=*/false);
}

void CudaModelRunner::forward_logits(const StepPlan& plan, std::vector<float>& logits) {
  logits.clear();
  build_step_metadata(plan, block_size_, num_blocks_, config_.vocab_size, meta_);
  pass_->forward(meta_, logits, /*copy_logits=*/shard_.rank == 0);
}

std::string CudaModelRunner::describe() const {
  const ModelConfig& c = config_;
  std::ostringstream out;
  out << "cuda " << dtype_name(dtype_) << " " << c.model_type << " layers " << c.num_layers
      << " hidden " << c.hidden_size << " heads " << c.num_heads << "/" << c.num_kv_heads
      << " vocab " << c.vocab_size << ", tp " << shard_.size << ", GPU " << gpu_.device << " "
      << gpu_.name << " (sm_" << gpu_.cc_major << gpu_.cc_minor << ")"
      << (gpu_.sharing_ranks > 1 ? " shared by " + std::to_string(gpu_.sharing_ranks) + " ranks"
                                 : std::string())
      << ", weights " << mib(pass_->weight_bytes()) << "/rank"
      << (options_.dummy_weights ? " (dummy)" : "") << ", " << pass_->graph_summary();
  if (nccl_ != nullptr)
    out << ", all-reduce in "
        << (tuning_.all_reduce == AllReduceDType::kModel ? dtype_name(dtype_) : "float32");
  out << ", sampling on the GPU";
  return out.str();
}

}  // namespace tpbench
