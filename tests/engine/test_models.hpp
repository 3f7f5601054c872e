#pragma once
// Models the engine tests run on, made at test time by the repository's own scripts into the
// build directory (once; concurrent test processes race safely).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace tpbench::test {

// stories260K converted to a Hugging Face directory by scripts/convert_llama2c.py.
std::string stories260k_dir();
// The 256 ids stories260K produces greedily from BOS (data/models/stories260K).
std::vector<int32_t> stories260k_golden_ids();

// A random tiny model: scripts/make_tiny_model.py NAME_DIR --no-tokenizer <args>.
std::string tiny_model_dir(const std::string& name, const std::string& args);

// The tiny models the TP and batching tests sweep: GQA, MQA, qwen2 biases, tied and untied,
// F16/BF16 checkpoints, Llama 3 rope scaling. Returns {name, make_tiny_model args}.
std::vector<std::pair<std::string, std::string>> tiny_model_variants();

// The PyTorch checkpoint fixtures in tests/engine/model/fixtures/torch_bin (made by
// make_torch_bin.py there): each is a tiny model of make_tiny_model.py saved with torch.save.
std::vector<std::string> torch_bin_fixtures();
// The fixture's safetensors twin: make_tiny_model.py with the fixture's make_tiny_model.args.
std::string torch_bin_twin_dir(const std::string& fixture);
// A model directory holding the twin's config.json and the fixture's .bin (and index) files only.
std::string torch_bin_model_dir(const std::string& fixture);

// Tiny checkpoints of the InternLM families as their published checkpoints lay them out:
// internlm-7b style (q/k/v/o biases, "rotary" base), internlm-20b style (no bias, rope_theta),
// internlm2 with KV groups of 4 (TP 2 splits the KV heads) and with one KV head and wqkv biases
// (TP 2 replicates it), internlm3 with head_dim != hidden / heads, qkv and o/MLP biases, BF16.
// Returns {name, make_tiny_model args}.
std::vector<std::pair<std::string, std::string>> family_model_variants();

// tests/engine/cpu/reference_internlm.py (float64 numpy, after each family's published modeling
// code): the ids greedy decoding appends to `prompt`, and the logits each was chosen from.
struct ReferenceGreedy {
  std::vector<int32_t> ids;
  std::vector<float> logits;  // [ids.size(), vocab]
};
ReferenceGreedy reference_internlm_greedy(const std::string& model_dir,
                                          const std::vector<int32_t>& prompt, int new_tokens);

int32_t argmax(const float* values, int64_t n);

// max |a - b| / max |b| over n values.
double relative_error(const float* a, const float* b, int64_t n);

// Steps the engine until nothing is pending: every request's generated ids, and how many requests
// failed (each failure printed with its reason).
struct Generation {
  std::map<uint64_t, std::vector<int32_t>> generated;
  int failures = 0;
};
Generation run_to_completion(Engine& engine);

// A gtest parameter name from a {name, ...} pair's name ('-' is not allowed there).
struct FirstAsTestName {
  template <class Info>
  std::string operator()(const Info& info) const {
    std::string name = info.param.first;
    for (char& ch : name)
      if (ch == '-') ch = '_';
    return name;
  }
};

}  // namespace tpbench::test
