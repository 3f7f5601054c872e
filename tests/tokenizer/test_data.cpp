#include "tests/tokenizer/test_data.hpp"

#include <simdjson.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace tpbench::testing {

namespace {
std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

std::vector<GoldenCase> read_golden(const std::filesystem::path& inp_file,
                                    const std::filesystem::path& out_file) {
  const std::string inp = read_file(inp_file);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<GoldenCase> cases;
  size_t start = 0;
  for (size_t sep; (sep = inp.find(separator, start)) != std::string::npos;
       start = sep + separator.size())
    cases.push_back({inp.substr(start, sep - start), {}});
  if (start != inp.size()) throw std::runtime_error(inp_file.string() + ": text after last case");

  std::istringstream out(read_file(out_file));
  std::string line;
  size_t index = 0;
  while (std::getline(out, line)) {
    if (index >= cases.size()) throw std::runtime_error(out_file.string() + ": too many lines");
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) cases[index].ids.push_back(id);
    ++index;
  }
  if (index != cases.size()) throw std::runtime_error(out_file.string() + ": too few lines");
  return cases;
}

std::vector<std::string> read_sharegpt_texts(const std::filesystem::path& file) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(file.string());
  std::vector<std::string> texts;
  for (simdjson::dom::element record : doc.get_array()) {
    simdjson::dom::array turns;
    if (record["conversations"].get(turns)) continue;
    for (simdjson::dom::element turn : turns) {
      std::string_view value;
      if (!turn["value"].get(value)) texts.emplace_back(value);
    }
  }
  return texts;
}

std::filesystem::path data_dir() {
  return TPBENCH_DATA_DIR;
}
std::filesystem::path shared_data_dir() {
  return TPBENCH_SHARED_DATA_DIR;
}

}  // namespace tpbench::testing
