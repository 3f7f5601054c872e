// Tokenizer throughput on real ShareGPT text: MB/s of UTF-8 input per core, one thread and
// all threads, for each tokenizer kind. Each timed pass runs on fresh threads, so the
// per-thread piece caches start cold, as when the coordinator tokenizes a data set once.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizers_internal.hpp"
#include "tests/tokenizer/hf_json_fixtures.hpp"
#include "tests/tokenizer/test_data.hpp"

using namespace tpbench;
using namespace tpbench::testing;

namespace {

struct DataSet {
  std::string name;
  std::vector<std::string> texts;
  size_t bytes = 0;
};

double seconds_of(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best of `repeat` passes; each pass on fresh threads.
double best_seconds(const Tokenizer& tok, const std::vector<std::string_view>& texts, int threads,
                    int repeat, size_t& tokens) {
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    std::vector<std::vector<int32_t>> ids;
    const double s = seconds_of([&] {
      if (threads == 1) {
        std::thread([&] { ids = encode_parallel(tok, texts, true, 1); }).join();
      } else {
        ids = encode_parallel(tok, texts, true, threads);
      }
    });
    tokens = 0;
    for (const auto& v : ids) tokens += v.size();
    best = std::min(best, s);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  // bench_tokenize [passes] [label filter, e.g. "llama3 tokenizer.model"]
  const int repeat = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const std::string filter = argc > 2 ? argv[2] : "";
  const int all_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  std::vector<DataSet> sets;
  DataSet shipped;
  shipped.name = "data/sharegpt (2 files)";
  for (const char* f : {"sharegpt-v3-500-first-prompts.json", "sharegpt-v3-50conv-1kprompt.json"}) {
    auto t = read_sharegpt_texts(data_dir() / "sharegpt" / f);
    shipped.texts.insert(shipped.texts.end(), t.begin(), t.end());
  }
  sets.push_back(std::move(shipped));
  // perf-1440 repeats the 365 conversations 4 times (so per-thread caches help more);
  // the 365-conversation file itself is all distinct text.
  for (const char* f : {"sharegpt-365conv-multiturn-noid.json", "sharegpt-perf-1440.json"}) {
    const auto file = shared_data_dir() / f;
    if (std::filesystem::exists(file))
      sets.push_back({std::string("shared/") + f, read_sharegpt_texts(file), 0});
  }
  for (auto& s : sets)
    for (const auto& t : s.texts) s.bytes += t.size();

  struct Named {
    std::string label;
    std::unique_ptr<Tokenizer> tok;
  };
  std::vector<Named> toks;
  auto wanted = [&](const std::string& label) { return label.find(filter) != std::string::npos; };
  // load_tokenizer's choice (the native BPE for Llama 2), then libsentencepiece alone.
  const auto llama2_model = data_dir() / "tokenizers" / "llama2" / "tokenizer.model";
  if (wanted("llama2 tokenizer.model"))
    toks.push_back(
        {"llama2 tokenizer.model", load_tokenizer(data_dir() / "tokenizers" / "llama2")});
  if (wanted("llama2 tokenizer.model, library by words"))
    toks.push_back(
        {"llama2 tokenizer.model, library by words",
         tok::load_sentencepiece(llama2_model, tok::SentencePieceEngine::kLibraryByWords)});
  if (wanted("llama2 tokenizer.model, library whole texts"))
    toks.push_back(
        {"llama2 tokenizer.model, library whole texts",
         tok::load_sentencepiece(llama2_model, tok::SentencePieceEngine::kLibraryWholeText)});
  if (wanted("llama3 tokenizer.model"))
    toks.push_back(
        {"llama3 tokenizer.model", load_tokenizer(data_dir() / "tokenizers" / "llama3")});
  if (wanted("llama3 tokenizer.json")) {
    const auto dir = fixture_dir("bench-llama3");
    write_llama3_tokenizer_json(data_dir() / "tokenizers" / "llama3" / "tokenizer.model", dir);
    toks.push_back({"llama3 tokenizer.json", load_tokenizer(dir)});
  }
  if (wanted("llama2 tokenizer.json")) {
    const auto dir = fixture_dir("bench-llama2");
    write_llama2_tokenizer_json(
        data_dir() / "tokenizers" / "llama2" / "llama2-tokenizer.llama2c.bin", dir,
        Llama2Style::kLegacyNormalizer);
    toks.push_back({"llama2 tokenizer.json", load_tokenizer(dir)});
  }

  std::printf("threads: 1 and %d (hardware concurrency); best of %d passes\n", all_threads, repeat);
  std::printf("%-44s %-44s %-39s %6s %8s %8s %8s %10s\n", "data", "tokenizer", "kind", "MB",
              "tokens", "1T MB/s", "NT MB/s", "NT MB/s/c");
  for (const DataSet& set : sets) {
    std::vector<std::string_view> texts(set.texts.begin(), set.texts.end());
    const double mb = static_cast<double>(set.bytes) / 1e6;
    for (const Named& n : toks) {
      size_t tokens = 0;
      const double one = best_seconds(*n.tok, texts, 1, repeat, tokens);
      const double all = best_seconds(*n.tok, texts, all_threads, repeat, tokens);
      std::string kind = n.tok->kind();
      if (const auto engine = tok::sentencepiece_engine(*n.tok))
        kind += std::string("/") + tok::to_string(*engine);
      std::printf("%-44s %-44s %-39s %6.2f %8zu %8.2f %8.2f %10.2f\n", set.name.c_str(),
                  n.label.c_str(), kind.c_str(), mb, tokens, mb / one, mb / all,
                  mb / all / all_threads);
    }
  }
  return 0;
}
