#include "engine/openai/served_model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/error.hpp"
#include "engine/openai/http_get.hpp"
#include "engine/openai/response_decoder.hpp"

namespace tpbench::openai {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> parse_model_list(const std::string& body, const std::string& url) {
  const auto list = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const std::string bad = url + ": not an OpenAI model list (expected {\"data\": [{\"id\": ...}]})";
  if (!list.is_object() || !list.contains("data") || !list["data"].is_array())
    throw InputError(bad);
  std::vector<std::string> ids;
  for (const auto& model : list["data"]) {
    if (!model.is_object() || !model.contains("id") || !model["id"].is_string())
      throw InputError(bad);
    ids.push_back(model["id"].get<std::string>());
  }
  return ids;
}

std::string resolve_served_model(const std::string& base_url, const std::string& requested,
                                 const std::vector<std::string>& headers, int64_t timeout_ms,
                                 const HttpTransportOptions& transport) {
  const std::string url = base_url + "/v1/models";
  const HttpGetResult got = http_get(url, headers, timeout_ms, transport);
  if (got.outcome.kind == HttpOutcomeKind::kHttpError)
    throw InputError(
        "--base-url " + base_url + ": GET /v1/models failed: " +
        describe_error_body(static_cast<int>(got.outcome.http_status), got.outcome.error_body));
  if (!got.outcome.ok())
    throw InputError("--base-url " + base_url + ": cannot reach the server (" +
                     got.outcome.message + ")");
  const std::vector<std::string> models = parse_model_list(got.body, url);
  if (requested.empty()) {
    if (models.size() == 1) return models.front();
    throw InputError("--served-model-name: " + url + " lists " + std::to_string(models.size()) +
                     " models (" + joined(models) + "); name the one to benchmark");
  }
  if (std::find(models.begin(), models.end(), requested) == models.end())
    throw InputError("--served-model-name " + requested + ": not served by " + base_url +
                     " (GET /v1/models lists " + joined(models) + ")");
  return requested;
}

}  // namespace tpbench::openai
