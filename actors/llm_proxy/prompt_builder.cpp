#include "actors/llm_proxy/prompt_builder.hpp"

#include "actors/llm_proxy/response_parser.hpp"

#include "runtime/base/error.hpp"

#include <fstream>
#include <sstream>

namespace kforge::actors {

namespace {

std::string shape_text(const std::vector<kforge::tensor_spec>& tensors) {
  std::string out;
  for (const auto& t : tensors) {
    out += "- " + t.name + ": float32 [";
    for (std::size_t i = 0; i < t.shape.size(); ++i)
      out += (i > 0 ? " x " : "") + std::to_string(t.shape[i]);
    out += "], row-major\n";
  }
  return out;
}

// What an item is, for a model: the kinds in words.
const char* kind_label(const std::string& kind) {
  if (kind == "seed")
    return "first kernel";
  if (kind == "trajectory")
    return "refine step";
  if (kind == "insight")
    return "summary";
  return "optimization";
}

std::string memory_text(const std::vector<memory::memory_item>& items) {
  std::string out;
  for (const auto& item : items) {
    if (item.text.empty())
      continue;
    out += std::string{"- ["} + kind_label(item.kind) + "] " + item.text + "\n";
  }
  return out;
}

// One list item per candidate; the lines of a multi-line message (a compiler's, a checker's)
// follow it in a text block, whole.
std::string feedback_text(const std::vector<std::string>& feedback) {
  std::string out;
  for (const auto& entry : feedback) {
    auto eol = entry.find('\n');
    out += "- " + entry.substr(0, eol) + "\n";
    if (eol == std::string::npos)
      continue;
    auto rest = entry.substr(eol + 1);
    out += "```text\n" + rest + (rest.empty() || rest.back() == '\n' ? "" : "\n") + "```\n";
  }
  return out;
}

std::string number(double v);

// The technique a refine step asks for, as plain lines (no list items: a model, and the simulated
// one, read the request after the last list): what it is, its risk, and what kforge measured.
std::string technique_text(const technique_pick& t) {
  if (t.id.empty())
    return {};
  std::string out = "Apply this technique in this step: " + t.name + " (id " + t.id + ").\n";
  out += "What it means: " + t.summary + "\n";
  if (!t.risks.empty())
    out += "Watch out: " + t.risks + "\n";
  if (t.samples > 0)
    out += "Measured by kforge for this family in this performance state: " + std::to_string(t.samples) +
           (t.samples == 1 ? " try" : " tries") + ", on average " + number(t.mean_speedup) +
           "x the parent's speed, " + std::to_string(t.feasible) + " correct.\n";
  else
    out += "Not yet measured for this family in this performance state.\n";
  out += "After the code block, name what you applied on a line \"Technique: " + t.id +
         "\" (add the ids of others you also used, comma-separated).\n";
  return out;
}

std::string number(double v) {
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

caf::expected<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return make_error(errc::bad_config, file.string() + ": cannot read the prompt template");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

const std::set<std::string>& prompt_builder::variables() {
  static const std::set<std::string> vars = {
      "task_id",     "family",       "description",    "signature",   "call",          "reference",
      "inputs",      "outputs",      "tolerance",      "constraints", "memory",        "feedback",
      "parent",      "parent_us",    "perf_state",     "stage",       "function",      "flops",
      "bytes",       "reference_us", "parent_speedup", "parent_gbps", "parent_gflops", "peak_gbps",
      "peak_gflops", "roofline_us",  "roofline_share", "bound",       "technique",
  };
  return vars;
}

caf::expected<prompt_builder> prompt_builder::from_text(const std::string& system, const std::string& draft,
                                                        const std::string& refine) {
  auto s = prompt_template::parse(system, "system.md", variables());
  if (!s)
    return s.error();
  auto d = prompt_template::parse(draft, "draft.md", variables());
  if (!d)
    return d.error();
  auto r = prompt_template::parse(refine, "refine.md", variables());
  if (!r)
    return r.error();
  return prompt_builder{std::move(*s), std::move(*d), std::move(*r)};
}

namespace {

// One template file, read and parsed against the builder's variables.
caf::expected<prompt_template> load_template(const std::filesystem::path& file) {
  auto text = read_text(file);
  if (!text)
    return text.error();
  return prompt_template::parse(*text, file.string(), prompt_builder::variables());
}

// The three templates `names` of `dir`, in order.
caf::error load_three(const std::filesystem::path& dir, const char* const (&names)[3],
                      prompt_template* (&into)[3]) {
  for (int i = 0; i < 3; ++i) {
    auto t = load_template(dir / names[i]);
    if (!t)
      return t.error();
    *into[i] = std::move(*t);
  }
  return {};
}

}  // namespace

caf::expected<prompt_builder> prompt_builder::load(const std::filesystem::path& dir) {
  prompt_template parts[3];
  prompt_template* base[3] = {&parts[0], &parts[1], &parts[2]};
  static const char* const names[3] = {"system.md", "draft.md", "refine.md"};
  if (auto err = load_three(dir, names, base))
    return err;
  prompt_builder out{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
  // The KernelBench prompts are optional, but all three or none.
  static const char* const kb_names[3] = {"kernelbench_system.md", "kernelbench_draft.md",
                                          "kernelbench_refine.md"};
  int present = 0;
  std::error_code ec;
  for (const auto* name : kb_names)
    present += std::filesystem::exists(dir / name, ec) ? 1 : 0;
  if (present == 0)
    return out;
  for (const auto* name : kb_names)
    if (!std::filesystem::exists(dir / name, ec))
      return make_error(errc::bad_config,
                        (dir / name).string() +
                            ": missing (the KernelBench prompts are three files: "
                            "kernelbench_system.md, kernelbench_draft.md, kernelbench_refine.md)");
  prompt_template* kb[3] = {&out.kb_system_, &out.kb_draft_, &out.kb_refine_};
  if (auto err = load_three(dir, kb_names, kb))
    return err;
  out.has_kernelbench_ = true;
  return out;
}

prompt prompt_builder::build(const kforge::task_def& task, const policy_request& request) const {
  std::map<std::string, std::string> vars;
  vars["task_id"] = task.id;
  vars["family"] = task.family;
  vars["description"] = task.description;
  vars["signature"] = task.signature;
  vars["function"] = function_name(task.signature);
  vars["call"] = task.call;
  vars["reference"] = task.reference_source;
  vars["inputs"] = shape_text(task.inputs);
  vars["outputs"] = shape_text(task.outputs);
  vars["tolerance"] = "|out - ref| <= " + number(task.atol) + " + " + number(task.rtol) + " * |ref|";
  vars["constraints"] = backend_constraints(task.backend);
  vars["memory"] = memory_text(request.context);
  vars["feedback"] = feedback_text(request.feedback);
  vars["stage"] = request.stage;
  vars["flops"] = number(task.flops);
  vars["bytes"] = number(task.bytes);
  // What kforge measured: the reference, the peaks that apply to this task, the parent against both.
  if (request.reference_ns > 0)
    vars["reference_us"] = number(request.reference_ns / 1e3);
  if (request.peak_gbps > 0)
    vars["peak_gbps"] = number(request.peak_gbps);
  if (request.peak_gflops > 0)
    vars["peak_gflops"] = number(request.peak_gflops);
  if (request.roofline_ns > 0) {
    vars["roofline_us"] = number(request.roofline_ns / 1e3);
    vars["bound"] = request.bound;
  }
  vars["technique"] = technique_text(request.technique);
  if (!request.parent.empty()) {
    const auto& p = request.parent.front();
    vars["parent"] = p.source;
    vars["perf_state"] = p.perf_state;
    if (p.latency_ns > 0) {
      vars["parent_us"] = number(p.latency_ns / 1e3);
      // bytes / ns = GB/s, flops / ns = GFLOP/s
      if (task.bytes > 0)
        vars["parent_gbps"] = number(task.bytes / p.latency_ns);
      if (task.flops > 0)
        vars["parent_gflops"] = number(task.flops / p.latency_ns);
      if (request.reference_ns > 0)
        vars["parent_speedup"] = fixed(request.reference_ns / p.latency_ns, 2);
      if (request.roofline_ns > 0)
        vars["roofline_share"] = fixed(100.0 * request.roofline_ns / p.latency_ns, 0);
    }
  }
  const bool kb = has_kernelbench_ && task.backend == "kernelbench";
  const bool refine = request.stage == "refine" && !request.parent.empty();
  const auto& system = kb ? kb_system_ : system_;
  const auto& body = refine ? (kb ? kb_refine_ : refine_) : (kb ? kb_draft_ : draft_);
  return prompt{system.render(vars), body.render(vars)};
}

std::string backend_constraints(const std::string& backend) {
  if (backend == "cpu")
    return "- One C++17 translation unit, compiled with g++ -O3 -march=native; single-threaded.\n"
           "- Include only <cmath>, <cstdint>, <cstddef>, <cstring>, <algorithm>, <limits>, <cfloat>,\n"
           "  <climits>, <type_traits>, <array>, <math.h>, <stdint.h>, <string.h>, <immintrin.h>.\n"
           "- No I/O, time, threads, processes, inline assembly or system calls (they are rejected).\n"
           "- Define the function with exactly the signature given (C++ linkage).\n";
  if (backend == "kernelbench")
    return "- One Python file defining `class ModelNew(nn.Module)`: same __init__ arguments as Model, same\n"
           "  forward inputs and outputs; kforge builds it from get_init_inputs() and calls it on "
           "get_inputs().\n"
           "- CUDA code goes through torch.utils.cpp_extension.load_inline (no other loader, no prebuilt "
           ".so).\n"
           "- Imports: torch, torch.nn, torch.nn.functional, torch.utils.cpp_extension.load_inline, math "
           "only;\n"
           "  no os, sys, time, subprocess, ctypes, files, eval/exec, getattr/setattr, monkey-patching "
           "torch.\n"
           "- Work on the current stream: no CUDA streams, events, graphs, timers or clocks of your own, "
           "and\n"
           "  no torch.manual_seed; f-strings are refused (build source text by concatenation).\n"
           "- Do not call Model or the reference; the result must be computed by your code.\n";
  return "- Define the function with exactly the signature given.\n";
}

}  // namespace kforge::actors
