#pragma once
// libcurl plumbing shared by the streaming client and the blocking GET (internal to engine/openai).
#include <curl/curl.h>

#include <string>

#include "engine/openai/http_transport.hpp"

namespace tpbench {

// curl_global_init, once per process (thread-safe).
void curl_global_init_once();

// The per-connection choices of HttpTransportOptions on a (reset) easy handle: HTTP/1.1, no
// signals, TCP_NODELAY, proxies only when asked, certificate checks unless insecure.
void apply_transport_options(CURL* easy, const HttpTransportOptions& options);

// Method, URL, body and timeout of the request; builds its header list (with "Expect:" so a long
// POST body does not wait for a 100-continue) into headers, which the caller frees after the
// transfer. The request must outlive the transfer: libcurl reads its body in place.
void apply_request(CURL* easy, const HttpRequest& request, curl_slist*& headers);

// How a finished transfer ended, from libcurl's result, the status and its error text.
HttpOutcome classify_transfer(CURL* easy, CURLcode result, const char* error_text,
                              const std::string& url, int64_t timeout_ms);

}  // namespace tpbench
