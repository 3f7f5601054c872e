#pragma once
// A blocking GET for start-up checks (GET /v1/models): same proxy, TLS and HTTP/1.1 choices as
// the streaming client.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/openai/http_transport.hpp"

namespace tpbench {

struct HttpGetResult {
  HttpOutcome outcome;  // kHttpError: the body is in outcome.error_body
  std::string body;     // the response body when the status is < 400
};

// Never throws for network or HTTP failures: they are in outcome. timeout_ms bounds the whole
// request (0: none). headers are "Name: value" lines.
HttpGetResult http_get(const std::string& url, const std::vector<std::string>& headers,
                       int64_t timeout_ms, const HttpTransportOptions& options);

}  // namespace tpbench
