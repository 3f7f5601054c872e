#pragma once
// --backend openai: the Engine of a leader that is a client of an OpenAI-compatible server
// (vLLM, LMDeploy, SGLang, tpbench_serve, ...). It implements the Engine seam directly, not as a
// ModelRunner: add() builds the request body and starts a streaming transfer; step() polls the
// transport for a few milliseconds and returns the tokens that arrived, each stamped with the
// steady-clock time its bytes arrived (StepResult::Token::time_ns).
//
// Tokens per chunk: the ids the server sent, else the growth of usage.completion_tokens when
// the server sends usage with every chunk, else the client tokenizer's count of the chunk's
// text; at least 1. Their times follow token_times.hpp. The last content chunk's tokens are held
// back until the stream ends so that its last token can be marked finished; the request's
// StepResult::Accounting then carries the server's usage (prompt and completion tokens).
// Failures are StepResult failures with a one-line reason: no connection, a reset, HTTP 4xx/5xx
// (with the body's message), an error inside a 200 stream, no [DONE], --request-timeout, and a
// stream that completes without content.
//
// Construction checks the server (GET /v1/models: InputError naming the URL or the model),
// then sends --warmup requests, all before t0. OPENAI_API_KEY, when set, is sent as
// "Authorization: Bearer ..." and kept nowhere else.
#include <memory>

#include "engine/engine.hpp"

namespace tpbench {

// InputError for a bad option, an unreachable server or an unknown model.
std::unique_ptr<Engine> make_openai_engine(const EngineOptions& options);

// base_url without a trailing '/' or "/v1" (both spellings are common): requests go to
// base + "/v1/...".
std::string normalized_base_url(const std::string& base_url);

}  // namespace tpbench
