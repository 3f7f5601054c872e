#pragma once
// What one rank's engine is built from. It is the engine's part of RunOptions
// (common/run_options.hpp), bound to the command line as is, so each default here is the flag's
// default; the worker fills in the fields marked "set by the worker" (engine_options_for).
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/enum_names.hpp"

namespace tpbench {

enum class Backend { kAuto, kCpu, kCuda, kSim };
inline constexpr std::array<EnumName<Backend>, 4> kBackendNames{{
    {Backend::kAuto, "auto"},
    {Backend::kCuda, "cuda"},
    {Backend::kCpu, "cpu"},
    {Backend::kSim, "sim"},
}};
constexpr const auto& enum_names(Backend) {
  return kBackendNames;
}

// --dtype: the type asked for; the cuda backend resolves auto from the checkpoint.
enum class DtypeChoice { kAuto, kFloat16, kBFloat16, kFloat32 };
inline constexpr std::array<EnumName<DtypeChoice>, 4> kDtypeChoiceNames{{
    {DtypeChoice::kAuto, "auto"},
    {DtypeChoice::kFloat16, "float16"},
    {DtypeChoice::kBFloat16, "bfloat16"},
    {DtypeChoice::kFloat32, "float32"},
}};
constexpr const auto& enum_names(DtypeChoice) {
  return kDtypeChoiceNames;
}

struct EngineOptions {
  Backend backend = Backend::kAuto;  // auto: resolved (cuda when every rank sees a GPU, else cpu)
                                     // before the worker builds the engine
  std::string model_dir;
  DtypeChoice dtype = DtypeChoice::kAuto;
  bool dummy_weights = false;
  int max_batch_size = 0;  // 0: the replica's share of --concurrency (set by the worker)
  int max_prefill_tokens = 8192;
  int cache_block_seq_len = 64;
  double cache_max_entry_count = 0.8;
  int64_t kv_cache_bytes = 0;  // > 0 overrides cache_max_entry_count
  bool cuda_graphs = true;     // cuda: replay decode steps from CUDA graphs
  // sim backend
  double sim_step_ms = -1;  // fixed step time; < 0 = base + per-token model below
  double sim_base_ms = 5.0;
  double sim_per_token_us = 20.0;
  std::string sim_profile;       // --step-profile-out files to fit the step time to (else above)
  std::string step_profile_out;  // any backend: the leader writes one CSV row per step

  // Set by the worker, not bound to a flag.
  uint64_t seed = 0;         // --seed: dummy weights
  int local_rank = 0;        // which GPU (cuda): local_rank % visible GPUs
  int local_size = 1;        // engine ranks on this node
  // Gathers one string from every engine rank of this node, in local_rank order: a collective
  // over them. The cuda backend gathers GPU identities with it (ranks on one GPU split its KV
  // cache). Null: this rank is alone on its node.
  std::function<std::vector<std::string>(const std::string&)> node_all_gather;
  bool greedy_only = false;  // every request is greedy: no sampling workspace needed
};

}  // namespace tpbench
