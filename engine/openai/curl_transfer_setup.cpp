#include "engine/openai/curl_transfer_setup.hpp"

#include <mutex>

#include "common/error.hpp"

namespace tpbench {

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw InternalError("curl_global_init failed");
    }
  });
}

void apply_transport_options(CURL* easy, const HttpTransportOptions& options) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85 replaced the bitmask option
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!options.use_proxy) {
    // "" disables proxies, including http_proxy/https_proxy/all_proxy from the environment.
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  }
  if (options.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (options.connect_timeout_ms > 0) {
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout_ms));
  }
}

void apply_request(CURL* easy, const HttpRequest& request, curl_slist*& headers) {
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  if (request.method == HttpMethod::kPost) {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  }
  headers = nullptr;
  for (const std::string& line : request.headers) {
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  if (request.timeout_ms > 0) {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  }
}

static HttpOutcomeKind failure_kind(CURLcode result) {
  switch (result) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return HttpOutcomeKind::kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return HttpOutcomeKind::kTimeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return HttpOutcomeKind::kConnectionLost;
    case CURLE_PARTIAL_FILE:
      return HttpOutcomeKind::kStreamCut;
    default:
      return HttpOutcomeKind::kOther;
  }
}

HttpOutcome classify_transfer(CURL* easy, CURLcode result, const char* error_text,
                              const std::string& url, int64_t timeout_ms) {
  HttpOutcome outcome;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &outcome.http_status);
  long new_connections = 0;
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &new_connections);
  outcome.reused_connection = result == CURLE_OK && new_connections == 0;
  if (result == CURLE_OK) {
    if (outcome.http_status >= 400) {
      outcome.kind = HttpOutcomeKind::kHttpError;
      outcome.message = "HTTP " + std::to_string(outcome.http_status) + " from " + url;
    }
    return outcome;
  }
  outcome.kind = failure_kind(result);
  std::string text =
      error_text != nullptr && error_text[0] != '\0' ? error_text : curl_easy_strerror(result);
  if (outcome.kind == HttpOutcomeKind::kTimeout && timeout_ms > 0) {
    text = "request timeout (" + std::to_string(timeout_ms) + " ms): " + text;
  }
  outcome.message = text + " (" + url + ")";
  return outcome;
}

std::string_view http_outcome_name(HttpOutcomeKind kind) {
  switch (kind) {
    case HttpOutcomeKind::kOk:
      return "ok";
    case HttpOutcomeKind::kConnectFailed:
      return "connect failed";
    case HttpOutcomeKind::kConnectionLost:
      return "connection lost";
    case HttpOutcomeKind::kStreamCut:
      return "stream cut short";
    case HttpOutcomeKind::kHttpError:
      return "http error";
    case HttpOutcomeKind::kTimeout:
      return "timeout";
    case HttpOutcomeKind::kOther:
      return "transfer error";
  }
  return "?";
}

}  // namespace tpbench
