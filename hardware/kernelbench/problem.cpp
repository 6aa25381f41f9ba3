#include "hardware/kernelbench/problem.hpp"

#include "hardware/kernelbench/operator.hpp"
#include "hardware/kernelbench/problem_info.hpp"
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

// The operators forward applies, for the description: "conv_transpose3d, clamp" (at most 6).
std::string describe_ops(const kernelbench_info& info) {
  std::string out;
  for (std::size_t i = 0; i < info.ops.size() && i < 6; ++i)
    out += (i == 0 ? "" : ", ") + info.ops[i];
  if (info.ops.size() > 6)
    out += ", ...";
  return out.empty() ? info.family : info.family + ": " + out;
}

// Sets the definition hash over everything that defines the task.
task_def finish(task_def task) {
  content_hasher h;
  h.add("kforge-kernelbench-task-v1").add(task.id).add(task.family).add(task.reference_source);
  h.add(task.template_source);
  for (const auto& k : task.knobs) {
    h.add(k.name);
    for (auto v : k.values)
      h.add(std::to_string(v));
  }
  task.definition_hash = h.finish();
  task.reference_hash = task.definition_hash;  // the reference runs in the problem's own Python harness
  return task;
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
  auto info = read_kernelbench_problem(source, level);
  auto op = recognise_kernelbench_op(source);
  task.family = op ? op->family : info.family;
  task.backend = "kernelbench";
  task.description = "KernelBench level " + std::to_string(level) + " problem " + file.filename().string() +
                     " (" + (op ? op->kind : describe_ops(info)) + ")";
  task.atol = 1e-4;
  task.rtol = 1e-4;
  task.reference_source = source;
  task.file = file;
  task.inputs = info.inputs;
  for (const auto& t : task.inputs)
    task.bytes += 4.0 * static_cast<double>(t.elements());
  if (!op)  // a model policy writes ModelNew itself; the offline policy cannot serve this task
    return finish(std::move(task));
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
  return finish(std::move(task));
}

}  // namespace kforge::hardware
