#include "hardware/kernelbench/problem.hpp"

#include "hardware/kernelbench/operator.hpp"
#include "hardware/kernelbench/python_sources.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "runtime/base/hash.hpp"

#include <cctype>
#include <regex>
#include <string>
#include <vector>

namespace kforge::hardware {

namespace {

// The knobs of the elementwise generator (templates/elementwise.py says what each does).
const std::vector<knob>& elementwise_knobs() {
  static const std::vector<knob> knobs = {
      {"BLOCK", {128, 256, 512, 1024}}, {"VEC", {1, 2, 4}}, {"ITEMS", {1, 2, 4}}, {"FAST_MATH", {0, 1}}};
  return knobs;
}

void replace_all(std::string& text, const std::string& key, const std::string& value) {
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size()))
    text.replace(pos, key.size(), value);
}

}  // namespace

caf::expected<task_def> load_kernelbench_problem(const std::filesystem::path& file) {
  auto text = read_text(file);
  if (!text || text->empty())
    return make_error(errc::bad_task, file.string() + ": cannot read the KernelBench problem");
  const std::string& source = *text;
  for (const char* needed : {"class Model", "def get_inputs", "def get_init_inputs", "def forward"}) {
    if (source.find(needed) == std::string::npos) {
      return make_error(errc::bad_task,
                        file.string() + ": not a KernelBench problem (no '" + std::string{needed} + "')");
    }
  }
  auto op = recognise_kernelbench_op(source);
  if (!op) {
    return make_error(errc::bad_task,
                      file.string() + ": no candidate generator for this problem (forward returns '" +
                          forward_return(source) + "'; supported: " + kernelbench_supported_kinds() + ")");
  }
  task_def task;
  int level = 0;
  auto parent = file.parent_path().filename().string();
  if (parent.rfind("level", 0) == 0 && parent.size() > 5 &&
      std::isdigit(static_cast<unsigned char>(parent[5])) != 0)
    level = parent[5] - '0';
  std::string stem;
  for (char c : file.stem().string()) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    stem += (std::isalnum(static_cast<unsigned char>(l)) != 0) ? l : '_';
  }
  while (!stem.empty() && stem.back() == '_')
    stem.pop_back();
  task.id = "kb" + std::to_string(level) + "_" + stem;
  task.family = op->family;
  task.backend = "kernelbench";
  task.description = "KernelBench level " + std::to_string(level) + " problem " + file.filename().string() +
                     " (" + op->kind + ")";
  task.atol = 1e-4;
  task.rtol = 1e-4;
  task.reference_source = source;
  task.file = file;
  // ModelNew takes the arguments Model takes and keeps the same attributes.
  std::string init_args;
  std::string init_body;
  std::smatch m;
  static const std::regex init_re{R"(def __init__\(self([^)]*)\)\s*(->\s*None\s*)?:)"};
  if (std::regex_search(source, m, init_re))
    init_args = m[1].str();
  static const std::regex assign_re{R"(\n(\s*)self\.(\w+)\s*=\s*(\w+)\s*(?=\n))"};
  for (auto it = std::sregex_iterator(source.begin(), source.end(), assign_re); it != std::sregex_iterator();
       ++it)
    init_body += "        self." + (*it)[2].str() + " = " + (*it)[3].str() + "\n";
  if (init_body.empty())
    init_body = "        pass\n";
  std::string tpl{elementwise_template_py()};
  replace_all(tpl, "@KIND@", op->kind);
  replace_all(tpl, "@EXPR@", op->cuda_expr);
  replace_all(tpl, "@INIT_ARGS@", init_args);
  replace_all(tpl, "@INIT_BODY@", init_body);
  replace_all(tpl, "@P0@", op->p0);
  replace_all(tpl, "@P1@", op->p1);
  task.template_source = tpl;
  task.knobs = elementwise_knobs();
  content_hasher h;
  h.add("kforge-kernelbench-task-v1").add(task.id).add(task.family).add(source).add(tpl);
  for (const auto& k : task.knobs) {
    h.add(k.name);
    for (auto v : k.values)
      h.add(std::to_string(v));
  }
  task.definition_hash = h.finish();
  return task;
}

}  // namespace kforge::hardware
