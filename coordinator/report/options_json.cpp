#include "coordinator/report/options_json.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/enum_names.hpp"
#include "coordinator/cli/option_table.hpp"

namespace tpbench {
namespace {

// Writes each option of the table under its JSON key.
class JsonWriter {
 public:
  explicit JsonWriter(nlohmann::ordered_json& out) : out_(out) {}

  void positional(const cli::OptionInfo& info, const std::string& field) { put(info, field); }
  template <class T>
  void option(const cli::OptionInfo& info, const T& field, cli::Bounds) {
    put(info, field);
  }
  void flag(const cli::OptionInfo& info, bool field) { put(info, field); }
  void percentile_list(const cli::OptionInfo& info, const std::vector<double>& field) {
    put(info, field);
  }
  // {"ttft": ms, ...} with the keys given, or null when none was.
  void goodput_slo(const cli::OptionInfo& info, const GoodputSlo& field) {
    nlohmann::ordered_json& slot = out_[std::string(info.json_key)];
    slot = field.any() ? goodput_slo_json(field) : nlohmann::ordered_json(nullptr);
  }
  void string_list(const cli::OptionInfo& info, const std::vector<std::string>& field) {
    put(info, field);
  }

 private:
  template <class T>
  void put(const cli::OptionInfo& info, const T& field) {
    nlohmann::ordered_json& slot = out_[std::string(info.json_key)];
    if constexpr (std::is_enum_v<T>) {
      slot = std::string(name_of(field));
    } else if constexpr (std::is_same_v<T, std::optional<int>> ||
                         std::is_same_v<T, std::optional<double>>) {
      slot = field ? nlohmann::ordered_json(*field) : nlohmann::ordered_json(nullptr);
    } else if constexpr (std::is_floating_point_v<T>) {
      // JSON has no infinity: --request-rate inf is written as the command line spells it.
      slot = std::isinf(field) ? nlohmann::ordered_json("inf") : nlohmann::ordered_json(field);
    } else {
      slot = field;
    }
  }

  nlohmann::ordered_json& out_;
};

}  // namespace

nlohmann::ordered_json goodput_slo_json(const GoodputSlo& slo) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (slo.ttft_ms) j["ttft"] = *slo.ttft_ms;
  if (slo.tpot_ms) j["tpot"] = *slo.tpot_ms;
  if (slo.e2el_ms) j["e2el"] = *slo.e2el_ms;
  return j;
}

nlohmann::ordered_json options_to_json(const RunOptions& o) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  JsonWriter writer(j);
  cli::visit_options(o, writer);
  j["model_dir"] = o.engine.model_dir;  // what MODEL resolved to (a hub id: its snapshot)
  return j;
}

}  // namespace tpbench
