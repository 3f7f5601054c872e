#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "tokenizer/tokenizer.hpp"

namespace tpbench {

std::vector<std::vector<int32_t>> encode_parallel(const Tokenizer& tok,
                                                  const std::vector<std::string_view>& texts,
                                                  bool add_bos, int threads) {
  std::vector<std::vector<int32_t>> result(texts.size());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), texts.size()));
  if (threads <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) result[i] = tok.encode(texts[i], add_bos);
    return result;
  }
  // Texts differ a lot in length, so workers take small batches from a shared counter.
  std::atomic<size_t> next{0};
  const size_t batch = std::max<size_t>(1, texts.size() / (static_cast<size_t>(threads) * 16));
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (size_t begin; (begin = next.fetch_add(batch)) < texts.size();)
        for (size_t i = begin; i < std::min(begin + batch, texts.size()); ++i)
          result[i] = tok.encode(texts[i], add_bos);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = texts.size();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return result;
}

}  // namespace tpbench
