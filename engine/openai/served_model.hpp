#pragma once
// The start-up check of --backend openai: the server answers GET /v1/models and lists the
// model the run will ask for.
#include <string>
#include <vector>

#include "engine/openai/http_transport.hpp"

namespace tpbench::openai {

// The ids of an OpenAI model list ({"data": [{"id": ...}, ...]}). InputError naming `url` when
// the body is not one.
std::vector<std::string> parse_model_list(const std::string& body, const std::string& url);

// GET base_url/v1/models; returns `requested` when the server lists it, or the only model it
// lists when `requested` is empty. InputError (one line naming the URL or the model) when the
// server cannot be reached, answers with an error, does not list `requested`, or lists other
// than one model and none was named.
std::string resolve_served_model(const std::string& base_url, const std::string& requested,
                                 const std::vector<std::string>& headers, int64_t timeout_ms,
                                 const HttpTransportOptions& transport);

}  // namespace tpbench::openai
