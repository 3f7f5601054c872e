#include "serve/api_error.hpp"

#include <nlohmann/json.hpp>

namespace tpbench::serve {

std::string ApiError::type() const {
  switch (status) {
    case 404:
      return "NotFoundError";
    case 405:
      return "MethodNotAllowedError";
    case 413:
      return "RequestTooLargeError";
    case 503:
      return "ServiceUnavailableError";
    default:
      return status >= 500 ? "InternalServerError" : "BadRequestError";
  }
}

std::string ApiError::body() const {
  nlohmann::json error = {{"message", message},
                          {"type", type()},
                          {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
                          {"code", status}};
  return nlohmann::json{{"error", std::move(error)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

ApiError bad_request(std::string message, std::string param) {
  return {400, std::move(message), std::move(param)};
}

}  // namespace tpbench::serve
