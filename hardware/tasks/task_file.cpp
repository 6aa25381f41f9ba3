// Loads task files (docs/task-format.md) through the one TOML reader; every toml11 call runs
// inside its read(), which turns exceptions into errc::bad_task naming the file and line.
#include "hardware/tasks/task_file.hpp"

#include "hardware/tasks/task_memory.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/toml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

namespace kforge::hardware {

namespace {

bool is_identifier(std::string_view s) {
  if (s.empty() || (std::isdigit(static_cast<unsigned char>(s[0])) != 0))
    return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

bool is_lower_id(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// Reads one task file; all errors name the file and, where known, the line.
class task_reader {
 public:
  explicit task_reader(std::filesystem::path file) : file_(std::move(file)), name_(file_.string()) {}

  caf::expected<task_def> read(const toml_value& root) {
    if (!root.is_table())
      return fail("the file is not a TOML table");
    const auto& top = root.as_table();
    static const std::set<std::string> known = {
        "id",   "family", "backend",       "description", "signature", "call",   "flops",   "bytes",
        "atol", "rtol",   "max_rel_error", "reference",   "template",  "inputs", "outputs", "knobs"};
    if (auto err = check_keys(top, known, ""))
      return err;
    task_def task;
    task.file = file_;
    if (auto err = required_string(top, "id", task.id))
      return err;
    if (!is_lower_id(task.id))
      return fail_at(top.at("id"), "'id' must match [a-z0-9_]+, got \"" + task.id + "\"");
    if (task.id.size() > 200)  // store keys hold it beside the campaign's name, under LMDB's 511 bytes
      return fail_at(top.at("id"),
                     "'id' is " + std::to_string(task.id.size()) + " characters long; at most 200");
    if (auto err = required_string(top, "family", task.family))
      return err;
    if (auto err = required_string(top, "backend", task.backend))
      return err;
    if (!is_lower_id(task.backend))
      return fail_at(top.at("backend"), "'backend' must match [a-z0-9_]+");
    if (top.count("description") != 0) {
      if (auto err = string_value(top.at("description"), "description", task.description, true))
        return err;
    }
    if (auto err = required_string(top, "signature", task.signature))
      return err;
    if (task.signature.find('(') == std::string::npos) {
      return fail_at(top.at("signature"), "'signature' must be a C++ function declaration");
    }
    if (auto err = required_string(top, "call", task.call))
      return err;
    if (auto err = optional_number(top, "flops", task.flops))
      return err;
    if (auto err = optional_number(top, "bytes", task.bytes))
      return err;
    if (auto err = optional_number(top, "atol", task.atol))
      return err;
    if (auto err = optional_number(top, "rtol", task.rtol))
      return err;
    if (auto err = optional_number(top, "max_rel_error", task.max_rel_error))
      return err;
    if (!(task.max_rel_error >= 0 && task.max_rel_error <= 1))
      return fail("max_rel_error must be a number from 0 (off) to 1");
    if (auto err = read_source(top, "reference", task.reference_source))
      return err;
    if (auto err = read_source(top, "template", task.template_source))
      return err;
    if (auto err = read_tensors(top, "inputs", true, task.inputs))
      return err;
    if (auto err = read_tensors(top, "outputs", false, task.outputs))
      return err;
    if (auto err = check_unique_names(top, task))
      return err;
    if (auto err = check_memory(top, task))
      return err;
    if (top.count("knobs") != 0) {
      if (auto err = read_knobs(top.at("knobs"), task.knobs))
        return err;
    }
    task.definition_hash = definition_hash(task);
    task.reference_hash = reference_hash(task);
    return task;
  }

 private:
  caf::error fail(const std::string& what) const { return make_error(errc::bad_task, name_ + ": " + what); }

  caf::error fail_at(const toml_value& v, const std::string& what) const {
    return make_error(errc::bad_task, toml_reader{name_}.where(v) + ": " + what);
  }

  caf::error check_keys(const toml_table& table, const std::set<std::string>& known,
                        const std::string& where) const {
    for (const auto& [key, value] : table) {
      if (known.count(key) == 0)
        return fail_at(value, "unknown key '" + key + "'" + where);
    }
    return {};
  }

  caf::error string_value(const toml_value& v, const std::string& key, std::string& out,
                          bool may_be_empty) const {
    if (!v.is_string())
      return fail_at(v, "'" + key + "' must be a string, not " + toml_reader::type_name(v));
    out = v.as_string().str;
    if (out.empty() && !may_be_empty)
      return fail_at(v, "'" + key + "' must not be empty");
    return {};
  }

  caf::error required_string(const toml_table& table, const std::string& key, std::string& out) const {
    auto it = table.find(key);
    if (it == table.end())
      return fail("missing key '" + key + "'");
    return string_value(it->second, key, out, false);
  }

  caf::error number_value(const toml_value& v, const std::string& key, double& out) const {
    if (v.is_integer()) {
      out = static_cast<double>(v.as_integer());
    } else if (v.is_floating()) {
      out = v.as_floating();
    } else {
      return fail_at(v, "'" + key + "' must be a number, not " + toml_reader::type_name(v));
    }
    return {};
  }

  caf::error optional_number(const toml_table& table, const std::string& key, double& out) const {
    auto it = table.find(key);
    if (it == table.end())
      return {};
    if (auto err = number_value(it->second, key, out))
      return err;
    if (!(out >= 0) || !std::isfinite(out))
      return fail_at(it->second, "'" + key + "' must be a finite number >= 0");
    return {};
  }

  caf::error read_source(const toml_table& table, const std::string& key, std::string& out) const {
    std::string relative;
    if (auto err = required_string(table, key, relative))
      return err;
    auto path = file_.parent_path() / relative;
    std::ifstream in{path, std::ios::binary};
    std::ostringstream text;
    if (in)
      text << in.rdbuf();
    if (!in || in.bad())
      return fail_at(table.at(key), "cannot read " + key + " file '" + path.string() + "'");
    out = text.str();
    return {};
  }

  caf::error read_shape(const toml_value& v, const std::string& where, std::vector<int64_t>& out) const {
    auto bad = [&] { return fail_at(v, where + "'shape' must be a non-empty array of positive integers"); };
    if (!v.is_array() || v.as_array().empty())
      return bad();
    for (const auto& dim : v.as_array()) {
      if (!dim.is_integer() || dim.as_integer() <= 0)
        return bad();
      out.push_back(dim.as_integer());
    }
    if (!checked_elements(out) || !tensor_set_bytes({tensor_spec{"", out}}))
      return fail_at(v, where + "'shape' has more elements than a 64-bit count holds");
    return {};
  }

  caf::error read_tensor(const toml_value& v, bool is_input, const std::string& where,
                         tensor_spec& out) const {
    if (!v.is_table())
      return fail_at(v, where + "must be a table, not " + toml_reader::type_name(v));
    const auto& table = v.as_table();
    static const std::set<std::string> input_keys = {"name", "shape", "init", "lo", "hi"};
    static const std::set<std::string> output_keys = {"name", "shape"};
    if (auto err = check_keys(table, is_input ? input_keys : output_keys,
                              " in " + where.substr(0, where.size() - 2))) {
      return err;
    }
    auto it = table.find("name");
    if (it == table.end())
      return fail_at(v, where + "missing key 'name'");
    if (auto err = string_value(it->second, "name", out.name, false))
      return err;
    if (!is_identifier(out.name) || out.name.rfind("kforge_", 0) == 0) {
      return fail_at(it->second, where + "'name' must be a C identifier not starting with kforge_");
    }
    it = table.find("shape");
    if (it == table.end())
      return fail_at(v, where + "missing key 'shape'");
    if (auto err = read_shape(it->second, where, out.shape))
      return err;
    if (!is_input)
      return {};
    if ((it = table.find("init")) != table.end()) {
      if (auto err = string_value(it->second, "init", out.init, false))
        return err;
      if (out.init != "normal" && out.init != "uniform") {
        return fail_at(it->second, where + "unknown init \"" + out.init + "\" (normal or uniform)");
      }
    }
    for (const char* bound : {"lo", "hi"}) {
      if ((it = table.find(bound)) == table.end())
        continue;
      if (out.init != "uniform")
        return fail_at(it->second, where + "'" + bound + "' applies to init = \"uniform\" only");
      if (auto err = number_value(it->second, bound, bound[0] == 'l' ? out.lo : out.hi))
        return err;
    }
    if (!(out.lo < out.hi) || !std::isfinite(out.lo) || !std::isfinite(out.hi)) {
      return fail_at(v, where + "'lo' must be below 'hi' and both finite");
    }
    return {};
  }

  caf::error read_tensors(const toml_table& top, const std::string& key, bool is_input,
                          std::vector<tensor_spec>& out) const {
    auto it = top.find(key);
    if (it == top.end())
      return fail("missing [[" + key + "]]");
    if (!it->second.is_array() || it->second.as_array().empty()) {
      return fail_at(it->second, "'" + key + "' must be a non-empty array of tables ([[" + key + "]])");
    }
    const auto& items = it->second.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      tensor_spec spec;
      auto where = key + "[" + std::to_string(i) + "]: ";
      if (auto err = read_tensor(items[i], is_input, where, spec))
        return err;
      out.push_back(std::move(spec));
    }
    return {};
  }

  caf::error check_unique_names(const toml_table& top, const task_def& task) const {
    std::set<std::string> seen;
    for (const auto* list : {&task.inputs, &task.outputs}) {
      for (const auto& t : *list) {
        if (!seen.insert(t.name).second)
          return fail_at(top.at("outputs"), "tensor name '" + t.name + "' is used twice");
      }
    }
    return {};
  }

  // One set of a task's inputs and outputs must fit in the memory this machine has free: kforge
  // holds them itself (the campaign checks its seeds' sets against the same figure).
  caf::error check_memory(const toml_table& top, const task_def& task) const {
    auto in = tensor_set_bytes(task.inputs);
    auto out = tensor_set_bytes(task.outputs);
    if (!in || !out || *in > UINT64_MAX - *out)
      return fail_at(top.at("inputs"), "the tensors' sizes overflow a 64-bit byte count");
    auto available = available_memory_bytes();
    if (available && *in + *out > *available)
      return fail_at(top.at("inputs"), "one set of the task's inputs and outputs takes " +
                                           describe_bytes(*in + *out) + ", more than this machine's " +
                                           describe_bytes(*available) +
                                           " of available memory (MemAvailable)");
    return {};
  }

  caf::error read_knobs(const toml_value& v, std::vector<knob>& out) const {
    if (!v.is_table())
      return fail_at(v, "'knobs' must be a table, not " + toml_reader::type_name(v));
    for (const auto& [name, values] : v.as_table()) {
      if (!is_identifier(name))
        return fail_at(values, "knob name '" + name + "' is not an identifier");
      if (!values.is_array() || values.as_array().empty()) {
        return fail_at(values, "knob '" + name + "' must be a non-empty array of integers");
      }
      knob k{name, {}};
      for (const auto& x : values.as_array()) {
        if (!x.is_integer())
          return fail_at(x, "knob '" + name + "' must be a non-empty array of integers");
        k.values.push_back(x.as_integer());
      }
      out.push_back(std::move(k));
    }
    return {};
  }

  static void add_tensors(content_hasher& h, const task_def& task) {
    for (const auto* list : {&task.inputs, &task.outputs}) {
      h.add(std::to_string(list->size()));
      for (const auto& t : *list) {
        h.add(t.name).add(t.init).add(format_number(t.lo)).add(format_number(t.hi));
        h.add(std::to_string(t.shape.size()));
        for (auto dim : t.shape)
          h.add(std::to_string(dim));
      }
    }
  }

  static std::string definition_hash(const task_def& task) {
    content_hasher h;
    h.add("kforge-task-v1")
        .add(task.id)
        .add(task.family)
        .add(task.backend)
        .add(task.signature)
        .add(task.call);
    for (double x : {task.flops, task.bytes, task.atol, task.rtol})
      h.add(format_number(x));
    if (task.max_rel_error != task_def{}.max_rel_error)  // the default keeps older definitions' hashes
      h.add("max_rel_error").add(format_number(task.max_rel_error));
    add_tensors(h, task);
    h.add(std::to_string(task.knobs.size()));
    for (const auto& k : task.knobs) {
      h.add(k.name).add(std::to_string(k.values.size()));
      for (auto x : k.values)
        h.add(std::to_string(x));
    }
    h.add(task.reference_source).add(task.template_source);
    return h.finish();
  }

  static std::string reference_hash(const task_def& task) {
    content_hasher h;
    h.add("kforge-reference-v1").add(task.id).add(task.backend).add(task.signature).add(task.call);
    add_tensors(h, task);
    h.add(task.reference_source);
    return h.finish();
  }

  std::filesystem::path file_;
  std::string name_;
};

}  // namespace

caf::expected<task_def> load_task(const std::filesystem::path& file) {
  auto text = toml_reader::slurp(file, errc::bad_task, "task file");
  if (!text)
    return text.error();
  toml_reader reader{file.string()};
  return reader.read(*text, errc::bad_task,
                     [&](const toml_value& root) { return task_reader{file}.read(root); });
}

std::string render_template(const task_def& task, const std::vector<knob_setting>& settings) {
  std::string out;
  // Python templates (KernelBench candidates) take the knobs as assignments, C++ and CUDA as macros.
  const bool python = task.backend == "kernelbench";
  for (const auto& s : settings)
    out += (python ? s.name + " = " : "#define " + s.name + " ") + std::to_string(s.value) + "\n";
  out += task.template_source;
  return out;
}

}  // namespace kforge::hardware
