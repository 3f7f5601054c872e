#pragma once
// An OpenAI-style error: the HTTP status and the body {"error": {"message", "type", "param",
// "code"}} vLLM sends (type BadRequestError / NotFoundError / InternalServerError, code = the
// status).
#include <string>

namespace tpbench::serve {

struct ApiError {
  ApiError() = default;
  ApiError(int status_code, std::string text, std::string field = "")
      : status(status_code), message(std::move(text)), param(std::move(field)) {}

  int status = 400;
  std::string message;
  std::string param;  // the request field at fault; "" = null

  std::string type() const;
  std::string body() const;  // compact JSON
};

ApiError bad_request(std::string message, std::string param = "");

}  // namespace tpbench::serve
