#include "coordinator/workload/token_ids_dataset.hpp"

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <utility>

#include "common/error.hpp"
#include "common/log.hpp"

namespace tpbench {
namespace {

namespace od = simdjson::ondemand;

class LineParser {
 public:
  LineParser(const std::string& path, size_t line_number, const std::optional<VocabLimit>& vocab)
      : path_(path), line_(line_number), vocab_(vocab) {}

  WorkloadRequest parse(od::parser& parser, const simdjson::padded_string& text) {
    od::document doc;
    if (auto e = parser.iterate(text).get(doc)) fail_json(e);
    od::object object;
    if (auto e = doc.get_object().get(object)) {
      if (e == simdjson::INCORRECT_TYPE) fail("not a JSON object");
      fail_json(e);
    }
    WorkloadRequest request;
    bool has_ids = false;
    std::optional<int64_t> output_len, output_tokens;
    for (auto field_result : object) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) fail_json(e);
      if (field.key() == "input_ids") {
        has_ids = true;
        od::value v = field.value();
        read_ids(v, request.prompt_ids);
      } else if (field.key() == "output_len") {
        od::value v = field.value();
        output_len = read_count(v, "output_len");
      } else if (field.key() == "output_tokens") {
        od::value v = field.value();
        output_tokens = read_count(v, "output_tokens");
      }
    }
    if (!has_ids) fail("\"input_ids\" missing");
    if (request.prompt_ids.empty()) fail("\"input_ids\" is empty");
    if (!output_len) output_len = output_tokens;
    if (!output_len) fail("\"output_len\" missing");
    request.prompt_len = static_cast<int32_t>(request.prompt_ids.size());
    request.output_len = static_cast<int32_t>(*output_len);
    return request;
  }

 private:
  void read_ids(od::value& v, std::vector<int32_t>& ids) {
    od::array array;
    if (auto e = v.get_array().get(array)) {
      if (e == simdjson::INCORRECT_TYPE) fail("\"input_ids\" is not a list");
      fail_json(e);
    }
    size_t index = 0;
    for (auto element : array) {
      int64_t id;
      if (auto e = element.get_int64().get(id)) {
        if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR) {
          fail("input_ids[" + std::to_string(index) + "] is not an integer");
        }
        fail_json(e);
      }
      if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
        fail("input_ids[" + std::to_string(index) + "] = " + std::to_string(id) +
             " is not a token id");
      }
      if (vocab_ && id >= vocab_->vocab_size) {
        fail("input_ids[" + std::to_string(index) + "] = " + std::to_string(id) +
             " is not below vocab_size " + std::to_string(vocab_->vocab_size) + " of " +
             vocab_->config_path);
      }
      ids.push_back(static_cast<int32_t>(id));
      ++index;
    }
  }

  int64_t read_count(od::value& v, const char* name) {
    int64_t n;
    if (auto e = v.get_int64().get(n)) {
      if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR) {
        fail(std::string("\"") + name + "\" is not an integer");
      }
      fail_json(e);
    }
    if (n < 1 || n > std::numeric_limits<int32_t>::max()) {
      fail(std::string("\"") + name + "\" = " + std::to_string(n) + " is out of range [1, " +
           std::to_string(std::numeric_limits<int32_t>::max()) + "]");
    }
    return n;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("dataset " + path_ + ": line " + std::to_string(line_) + ": " + what);
  }
  [[noreturn]] void fail_json(simdjson::error_code e) const {
    fail(std::string("invalid JSON (") + simdjson::error_message(e) + ")");
  }

  const std::string& path_;
  size_t line_;
  const std::optional<VocabLimit>& vocab_;
};

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

TokenIdsDataset load_token_ids(const std::string& path, int num_prompts,
                               const std::optional<VocabLimit>& vocab) {
  if (num_prompts <= 0) {
    throw InputError("--num-prompts " + std::to_string(num_prompts) + ": must be > 0");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError("dataset " + path + ": " +
                     (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("dataset " + path + ": cannot open for reading");

  TokenIdsDataset out;
  od::parser parser;
  std::string line;
  size_t line_number = 0;
  while (out.requests.size() < static_cast<size_t>(num_prompts) && std::getline(in, line)) {
    ++line_number;
    if (is_blank(line)) continue;
    ++out.lines;
    simdjson::padded_string text(line);
    WorkloadRequest request = LineParser(path, line_number, vocab).parse(parser, text);
    request.id = out.requests.size();
    out.requests.push_back(std::move(request));
  }
  if (in.bad())
    throw InputError("dataset " + path + ": read error after line " + std::to_string(line_number));
  if (out.requests.empty()) throw InputError("dataset " + path + ": no requests (empty file)");
  if (out.requests.size() < static_cast<size_t>(num_prompts)) {
    log_warn("dataset " + path + ": only " + std::to_string(out.requests.size()) +
             " requests for --num-prompts " + std::to_string(num_prompts) + "; running with " +
             std::to_string(out.requests.size()));
  }
  return out;
}

}  // namespace tpbench
