#include "hardware/gates/python_gate.hpp"

#include "hardware/gates/hack_check.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <exception>

namespace kforge::hardware {

namespace {

using json = nlohmann::json;

// A string field of `j`, or `fallback`.
std::string text_of(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

int64_t line_of(const json& j) {
  auto it = j.find("line");
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

python_gate_report judge(std::string_view text) {
  python_gate_report r;
  auto j = json::parse(text, nullptr, false);
  auto list = j.is_object() ? j.find("violations") : j.end();
  if (j.is_discarded() || !j.is_object() || list == j.end() || !list->is_array()) {
    r.violations.push_back("the gate's parser wrote no report");
    return r;
  }
  for (const auto& v : *list) {
    auto line = line_of(v);
    auto what = text_of(v, "text", "?");
    r.violations.push_back(line > 0 ? "line " + std::to_string(line) + ": " + what : what);
  }
  if (auto sources = j.find("sources"); sources != j.end() && sources->is_array()) {
    for (const auto& src : *sources) {
      auto kind = text_of(src, "kind", "cpp");
      auto base = src.find("base");
      int64_t first = base != src.end() && base->is_number_integer() ? base->get<int64_t>() : 0;
      for (auto& v : hack_check_extension(text_of(src, "text", ""))) {
        // "line N: ..." of the C++ text: the candidate's line where the text is one literal.
        int64_t n = 0;
        auto colon = v.find(": ");
        if (v.rfind("line ", 0) == 0 && colon != std::string::npos)
          n = std::strtoll(v.c_str() + 5, nullptr, 10);
        auto rest = colon == std::string::npos ? v : v.substr(colon + 2);
        if (first > 0 && n > 0)
          r.violations.push_back("line " + std::to_string(first + n - 1) + ": " + rest +
                                 " (in load_inline's " + kind + " sources)");
        else
          r.violations.push_back("line " + std::to_string(line_of(src)) + ": load_inline's " + kind +
                                 " sources, " + v);
      }
    }
  }
  r.bypass = text_of(j, "bypass", "");
  return r;
}

}  // namespace

python_gate_report judge_python_gate(std::string_view report_json) {
  try {
    return judge(report_json);
  } catch (const std::exception& e) {
    python_gate_report r;
    r.violations.push_back(std::string{"the gate's parser wrote a bad report: "} + e.what());
    return r;
  }
}

gate_result python_gate_result(const python_gate_report& report) {
  constexpr std::size_t max_listed = 8;
  gate_result result{gate_hack, report.violations.empty(), {}};
  for (std::size_t i = 0; i < report.violations.size() && i < max_listed; ++i)
    result.detail += (i > 0 ? "\n" : "") + report.violations[i];
  if (report.violations.size() > max_listed)
    result.detail += "\n... and " + std::to_string(report.violations.size() - max_listed) + " more";
  return result;
}

}  // namespace kforge::hardware
