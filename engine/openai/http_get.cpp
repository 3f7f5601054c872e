#include "engine/openai/http_get.hpp"

#include <memory>

#include "common/error.hpp"
#include "engine/openai/curl_transfer_setup.hpp"

namespace tpbench {

namespace {

constexpr size_t kBodyLimit = 16 * 1024 * 1024;

size_t append_body(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  const size_t bytes = size * count;
  if (body->size() + bytes > kBodyLimit) return 0;  // a runaway response: fail the transfer
  body->append(data, bytes);
  return bytes;
}

}  // namespace

HttpGetResult http_get(const std::string& url, const std::vector<std::string>& headers,
                       int64_t timeout_ms, const HttpTransportOptions& options) {
  curl_global_init_once();
  std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) throw InternalError("curl_easy_init failed");
  HttpRequest request;
  request.url = url;
  request.method = HttpMethod::kGet;
  request.headers = headers;
  request.timeout_ms = timeout_ms;
  curl_slist* header_list = nullptr;
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_owner(nullptr, curl_slist_free_all);
  apply_transport_options(easy.get(), options);
  apply_request(easy.get(), request, header_list);
  header_owner.reset(header_list);
  char error_text[CURL_ERROR_SIZE] = {};
  std::string body;
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
  const CURLcode result = curl_easy_perform(easy.get());
  HttpGetResult out;
  out.outcome = classify_transfer(easy.get(), result, error_text, url, timeout_ms);
  if (out.outcome.kind == HttpOutcomeKind::kHttpError) {
    out.outcome.error_body = std::move(body);
  } else if (out.outcome.ok()) {
    out.body = std::move(body);
  }
  return out;
}

}  // namespace tpbench
