#include "coordinator/floor/floor_json.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace tpbench {

namespace {

double number(const nlohmann::json& j, const char* key, const std::string& path) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number())
    throw InputError(path + ": field \"" + key + "\" is missing or not a number");
  return it->get<double>();
}

}  // namespace

FloorInputs parse_floor_inputs(const std::string& json_text, const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(path + ": not a JSON object");
  FloorInputs in;
  if (const auto card = j.find("card"); card != j.end() && card->is_string())
    in.card = card->get<std::string>();
  const auto points = j.find("step_gemm");
  if (points == j.end() || !points->is_array())
    throw InputError(path + ": field \"step_gemm\" is missing or not an array");
  for (size_t i = 0; i < points->size(); ++i) {
    const nlohmann::json& p = (*points)[i];
    const std::string where = path + ": step_gemm[" + std::to_string(i) + "]";
    if (!p.is_object()) throw InputError(where + " is not an object");
    const auto tokens = p.find("tokens");
    if (tokens == p.end() || !tokens->is_number_integer())
      throw InputError(where + ": field \"tokens\" is missing or not an integer");
    in.step_gemm.push_back({tokens->get<int64_t>(), number(p, "ms", where)});
  }
  in.copy_bytes_per_s = number(j, "copy_bytes_per_s", path);
  in.kv_bytes_per_context_token = number(j, "kv_bytes_per_context_token", path);
  try {
    validate_floor_inputs(in);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  return in;
}

FloorInputs load_floor_inputs(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(path + ": cannot open the floor-inputs file");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_floor_inputs(text.str(), path);
}

std::string floor_result_json(const FloorResult& r, const FloorInputs& inputs,
                              int64_t concurrency) {
  const nlohmann::ordered_json j{{"card", inputs.card},
                                 {"concurrency", concurrency},
                                 {"requests", r.requests},
                                 {"prompt_tokens", r.prompt_tokens},
                                 {"output_tokens", r.output_tokens},
                                 {"steps", r.steps},
                                 {"floor_s", r.seconds},
                                 {"gemm_s", r.gemm_seconds},
                                 {"kv_s", r.kv_seconds},
                                 {"output_tok_s", r.output_tok_s},
                                 {"req_s", r.req_s}};
  return j.dump(2);
}

}  // namespace tpbench
