#include "tests/engine/test_models.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tpbench::test {
namespace {

namespace fs = std::filesystem;

// Runs `command` with OUT standing for a fresh folder, then renames that folder to `dir`.
// Another process may win the rename; its model is the same.
std::string make_once(const std::string& dir, const std::string& command_before_out,
                      const std::string& command_after_out) {
  if (fs::exists(dir + "/config.json")) return dir;
  fs::create_directories(fs::path(dir).parent_path());
  const std::string tmp = dir + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp);
  const std::string cmd = command_before_out + " '" + tmp + "' " + command_after_out;
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  fs::remove_all(tmp);
  if (!fs::exists(dir + "/config.json")) throw std::runtime_error("no model made in " + dir);
  return dir;
}

std::string models_root() {
  return std::string(TPBENCH_BINARY_DIR) + "/test-models";
}

}  // namespace

std::string stories260k_dir() {
  const std::string bin = std::string(TPBENCH_DATA_DIR) + "/models/stories260K/stories260K.bin";
  return make_once(models_root() + "/stories260K",
                   std::string(TPBENCH_PYTHON) + " " + TPBENCH_SOURCE_DIR +
                       "/scripts/convert_llama2c.py '" + bin + "'",
                   "");
}

std::vector<int32_t> stories260k_golden_ids() {
  std::ifstream in(std::string(TPBENCH_DATA_DIR) +
                   "/models/stories260K/stories260K-greedy-from-bos.txt");
  std::vector<int32_t> ids;
  int32_t id;
  while (in >> id) ids.push_back(id);
  return ids;
}

std::string tiny_model_dir(const std::string& name, const std::string& args) {
  return make_once(
      models_root() + "/" + name,
      std::string(TPBENCH_PYTHON) + " " + TPBENCH_SOURCE_DIR + "/scripts/make_tiny_model.py",
      "--no-tokenizer " + args);
}

std::vector<std::pair<std::string, std::string>> tiny_model_variants() {
  const std::string shape = "--layers 2 --dim 64 --heads 8 --intermediate 96 --vocab 128 ";
  return {
      {"tiny-llama-gqa", shape + "--kv-heads 4 --seed 1"},
      {"tiny-llama-mqa-tied", shape + "--kv-heads 1 --tie --seed 2"},
      {"tiny-qwen2-bias-bf16", shape + "--model-type qwen2 --kv-heads 2 --dtype BF16 --seed 3"},
      {"tiny-mistral-llama3rope-f16-tied",
       shape +
           "--model-type mistral --kv-heads 8 --tie --dtype F16 --rope-scaling-llama3 8 --seed 4"},
  };
}

std::vector<std::string> torch_bin_fixtures() {
  return {"llama-bf16",           "llama-bf16-protocol4-parameters",
          "llama-bf16-sharded",   "qwen2-f16-tied-views",
          "llama-f32-transposed", "internlm-f16",
          "internlm2-bf16",       "internlm3-f32"};
}

namespace {
std::string torch_bin_fixture_dir(const std::string& fixture) {
  return std::string(TPBENCH_SOURCE_DIR) + "/tests/engine/model/fixtures/torch_bin/" + fixture;
}
}  // namespace

std::string torch_bin_twin_dir(const std::string& fixture) {
  std::ifstream in(torch_bin_fixture_dir(fixture) + "/make_tiny_model.args");
  std::string args;
  if (!std::getline(in, args)) throw std::runtime_error("no make_tiny_model.args in " + fixture);
  return tiny_model_dir("torch-twin-" + fixture, args);
}

std::string torch_bin_model_dir(const std::string& fixture) {
  const std::string dir = models_root() + "/torch-bin-" + fixture;
  if (fs::exists(dir + "/config.json")) return dir;
  const std::string twin = torch_bin_twin_dir(fixture);
  const std::string tmp = dir + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  for (const auto& entry : fs::directory_iterator(torch_bin_fixture_dir(fixture)))
    if (entry.path().extension() == ".bin" || entry.path().extension() == ".json")
      fs::copy_file(entry.path(), fs::path(tmp) / entry.path().filename());
  fs::copy_file(twin + "/config.json", tmp + "/config.json");
  std::error_code ec;
  fs::rename(tmp, dir, ec);  // another process may have won; its copy is the same
  fs::remove_all(tmp);
  return dir;
}

std::vector<std::pair<std::string, std::string>> family_model_variants() {
  const std::string shape = "--layers 2 --dim 64 --intermediate 96 --vocab 128 ";
  return {
      {"tiny-internlm-bias-rotary",
       shape + "--model-type internlm --heads 4 --kv-heads 4 --rope-theta 50000 --seed 11"},
      {"tiny-internlm-nobias",
       shape + "--model-type internlm --heads 4 --kv-heads 4 --bias false --seed 12"},
      {"tiny-internlm2-gqa",
       shape + "--model-type internlm2 --heads 8 --kv-heads 2 --rope-theta 1000000 --seed 13"},
      {"tiny-internlm2-mqa-bias",
       shape + "--model-type internlm2 --heads 8 --kv-heads 1 --bias true --seed 14"},
      {"tiny-internlm3-bias-bf16",
       shape + "--model-type internlm3 --heads 4 --kv-heads 2 --head-dim 32 "
               "--rope-theta 50000000 --dtype BF16 --seed 15"},
  };
}

ReferenceGreedy reference_internlm_greedy(const std::string& model_dir,
                                          const std::vector<int32_t>& prompt, int new_tokens) {
  const std::string out = model_dir + ".greedy." + std::to_string(::getpid());
  std::string cmd = std::string(TPBENCH_PYTHON) + " " + TPBENCH_SOURCE_DIR +
                    "/tests/engine/cpu/reference_internlm.py '" + model_dir + "' " +
                    std::to_string(new_tokens) + " '" + out + ".bin'";
  for (int32_t t : prompt) cmd += " " + std::to_string(t);
  cmd += " > '" + out + ".txt'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  ReferenceGreedy ref;
  std::ifstream ids(out + ".txt");
  int32_t id;
  while (ids >> id) ref.ids.push_back(id);
  std::ifstream logits(out + ".bin", std::ios::binary);
  float x;
  while (logits.read(reinterpret_cast<char*>(&x), sizeof x)) ref.logits.push_back(x);
  fs::remove(out + ".txt");
  fs::remove(out + ".bin");
  return ref;
}

int32_t argmax(const float* values, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return static_cast<int32_t>(best);
}

double relative_error(const float* a, const float* b, int64_t n) {
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    max_diff = std::max(max_diff, std::fabs(double{a[i]} - b[i]));
    max_ref = std::max(max_ref, std::fabs(double{b[i]}));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

Generation run_to_completion(Engine& engine) {
  Generation g;
  while (engine.pending() > 0) {
    StepResult result = engine.step();
    for (const auto& t : result.tokens) g.generated[t.request_id].push_back(t.token);
    for (const auto& f : result.failures) {
      std::printf("request %llu failed: %s\n", static_cast<unsigned long long>(f.request_id),
                  f.reason.c_str());
      ++g.failures;
    }
  }
  return g;
}

}  // namespace tpbench::test
