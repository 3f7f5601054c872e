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

enum class Backend { kAuto, kCpu, kCuda, kSim, kOpenAi };
inline constexpr std::array<EnumName<Backend>, 5> kBackendNames{{
    {Backend::kAuto, "auto"},
    {Backend::kCuda, "cuda"},
    {Backend::kCpu, "cpu"},
    {Backend::kSim, "sim"},
    {Backend::kOpenAi, "openai"},
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

// --endpoint of --backend openai.
enum class OpenAiEndpoint { kCompletions, kChatCompletions };
inline constexpr std::array<EnumName<OpenAiEndpoint>, 2> kOpenAiEndpointNames{{
    {OpenAiEndpoint::kCompletions, "/v1/completions"},
    {OpenAiEndpoint::kChatCompletions, "/v1/chat/completions"},
}};
constexpr const auto& enum_names(OpenAiEndpoint) {
  return kOpenAiEndpointNames;
}

// --prompt-format of --backend openai: the prompt's text, or its token ids (completions only).
enum class PromptFormat { kText, kIds };
inline constexpr std::array<EnumName<PromptFormat>, 2> kPromptFormatNames{{
    {PromptFormat::kText, "text"},
    {PromptFormat::kIds, "ids"},
}};
constexpr const auto& enum_names(PromptFormat) {
  return kPromptFormatNames;
}

// --backend openai: each leader is a client of an OpenAI-compatible server. The API key is not
// here: the engine reads OPENAI_API_KEY from its environment, so no report can print it.
struct OpenAiClientOptions {
  std::vector<std::string> base_urls;  // --base-url; replica r talks to base_urls[r % size]
  OpenAiEndpoint endpoint = OpenAiEndpoint::kCompletions;
  std::string served_model_name;  // "" = the only model GET /v1/models lists
  PromptFormat prompt_format = PromptFormat::kText;
  std::string extra_body;                // JSON object merged into every request body
  std::vector<std::string> omit_fields;  // body fields left out ("a.b" reaches inside)
  double request_timeout_s = 0;          // whole request; 0 = none
  bool use_proxy = false;
  bool insecure = false;
  int warmup = 0;  // requests each client sends before t0, not measured
};

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
  OpenAiClientOptions openai;    // --backend openai

  // Set by the worker, not bound to a flag.
  uint64_t seed = 0;   // --seed: dummy weights
  int replica = 0;     // this rank's replica (openai: which --base-url)
  int local_rank = 0;  // which GPU (cuda): local_rank % visible GPUs
  int local_size = 1;  // engine ranks on this node
  // Gathers one string from every engine rank of this node, in local_rank order: a collective
  // over them. The cuda backend gathers GPU identities with it (ranks on one GPU split its KV
  // cache). Null: this rank is alone on its node.
  std::function<std::vector<std::string>(const std::string&)> node_all_gather;
  bool greedy_only = false;  // every request is greedy: no sampling workspace needed
};

}  // namespace tpbench
