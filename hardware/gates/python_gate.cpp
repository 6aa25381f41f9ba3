#include "hardware/gates/python_gate.hpp"

#include "hardware/gates/hack_check.hpp"
#include "hardware/gates/source_lexer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace kforge::hardware {

namespace {

// Python source with string literals blanked (kept as spaces, newlines kept) and comments removed;
// `fstrings` counts f-string literals (their braces hold code the gate would not see).
std::string python_code_only(std::string_view src, int& fstrings, bool& unterminated) {
  std::string out;
  out.reserve(src.size());
  fstrings = 0;
  unterminated = false;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (c == '#') {
      while (i < src.size() && src[i] != '\n')
        ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      // Prefix letters just before the quote.
      std::size_t p = out.size();
      bool is_f = false;
      bool raw = false;
      while (p > 0 && std::isalpha(static_cast<unsigned char>(out[p - 1])) != 0 && out.size() - p < 3) {
        char l = static_cast<char>(std::tolower(static_cast<unsigned char>(out[p - 1])));
        if (l == 'f')
          is_f = true;
        if (l == 'r')
          raw = true;
        --p;
      }
      bool prefix_only =
          p == 0 || (std::isalnum(static_cast<unsigned char>(out[p - 1])) == 0 && out[p - 1] != '_');
      if (!prefix_only) {
        is_f = false;
        raw = false;
      }
      if (is_f)
        ++fstrings;
      bool triple = i + 2 < src.size() && src[i + 1] == c && src[i + 2] == c;
      std::size_t j = i + (triple ? 3 : 1);
      bool closed = false;
      while (j < src.size()) {
        if (!raw && src[j] == '\\') {
          j += 2;
          continue;
        }
        if (raw && src[j] == '\\' && j + 1 < src.size()) {
          j += 2;
          continue;
        }
        if (triple) {
          if (src[j] == c && j + 2 < src.size() + 0 && src[j + 1] == c && src[j + 2] == c) {
            j += 3;
            closed = true;
            break;
          }
        } else if (src[j] == c) {
          ++j;
          closed = true;
          break;
        } else if (src[j] == '\n') {
          break;
        }
        ++j;
      }
      if (!closed)
        unterminated = true;
      for (std::size_t k = i; k < std::min(j, src.size()); ++k)
        out += src[k] == '\n' ? '\n' : ' ';
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

const std::map<std::string, std::string>& python_forbidden() {
  static const std::map<std::string, std::string> names = [] {
    std::map<std::string, std::string> m;
    auto add = [&](std::initializer_list<const char*> list, const char* why) {
      for (const auto* n : list)
        m.emplace(n, why);
    };
    add({"os", "sys", "gc", "inspect", "ctypes", "subprocess", "importlib", "builtins", "threading",
         "multiprocessing", "signal", "time", "socket", "pickle", "marshal", "shutil", "atexit", "runpy"},
        "modules that reach the process, the harness or the clock");
    add({"exec", "eval", "compile", "open", "__import__", "globals", "locals", "vars", "getattr", "setattr",
         "delattr", "breakpoint", "input", "exit", "quit"},
        "dynamic code and introspection");
    add({"__dict__", "__class__",   "__bases__",    "__mro__",          "__subclasses__", "__globals__",
         "__code__", "__closure__", "__builtins__", "__getattribute__", "__setattr__",    "__loader__",
         "__spec__", "__self__",    "__func__",     "_getframe",        "f_back",         "f_globals",
         "f_locals", "gi_frame",    "tb_frame"},
        "introspection");
    // Work on the current stream, and synchronizing it, is fine; other streams, events and graphs are not.
    add({"Stream", "stream", "ExternalStream", "set_stream", "Event", "record_stream", "CUDAGraph", "graph",
         "_sleep"},
        "streams of its own, events and graphs (work the harness's timing would not see)");
    add({"load", "load_library", "cpp_extension_load", "ops", "_C", "cuda_graphs"}, "loading other code");
    add({"manual_seed", "seed", "set_rng_state", "get_rng_state", "Generator",
         "use_deterministic_algorithms"},
        "random state belongs to the harness");
    return m;
  }();
  return names;
}

}  // namespace

gate_result hack_check_python(const task_def&, std::string_view source) {
  std::vector<std::string> violations;
  int fstrings = 0;
  bool unterminated = false;
  auto code = python_code_only(source, fstrings, unterminated);
  if (fstrings > 0)
    violations.push_back("f-strings are not allowed (their expressions would escape this gate)");
  if (unterminated)
    violations.push_back("a string literal is not terminated");
  // Line numbers: code keeps every newline of the source.
  auto line_of = [&](std::size_t pos) {
    return 1 + std::count(code.begin(), code.begin() + static_cast<long>(pos), '\n');
  };
  static const std::regex ident{R"([A-Za-z_][A-Za-z0-9_]*)"};
  const auto& forbidden = python_forbidden();
  std::set<std::string> seen;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), ident); it != std::sregex_iterator(); ++it) {
    auto name = it->str();
    auto f = forbidden.find(name);
    if (f != forbidden.end() && seen.insert(name).second) {
      violations.push_back("line " + std::to_string(line_of(static_cast<std::size_t>(it->position()))) +
                           ": '" + name + "' is not allowed (" + f->second + ")");
    }
  }
  static const std::set<std::string> allowed_modules = {"torch", "torch.nn", "torch.nn.functional",
                                                        "torch.utils.cpp_extension", "math"};
  static const std::regex import_re{R"((?:^|\n)[ \t]*import[ \t]+([^\n;]+))"};
  static const std::regex from_re{R"((?:^|\n)[ \t]*from[ \t]+([\w.]+)[ \t]+import)"};
  for (auto it = std::sregex_iterator(code.begin(), code.end(), import_re); it != std::sregex_iterator();
       ++it) {
    std::stringstream list{(*it)[1].str()};
    std::string item;
    while (std::getline(list, item, ',')) {
      auto mod = without_spaces(item.substr(0, item.find(" as ")));
      if (allowed_modules.count(mod) == 0)
        violations.push_back("import of '" + mod +
                             "' is not allowed (allowed: torch, torch.nn, torch.nn.functional, "
                             "torch.utils.cpp_extension, math)");
    }
  }
  for (auto it = std::sregex_iterator(code.begin(), code.end(), from_re); it != std::sregex_iterator();
       ++it) {
    auto mod = (*it)[1].str();
    if (allowed_modules.count(mod) == 0)
      violations.push_back("import from '" + mod + "' is not allowed");
  }
  static const std::regex attr_assign{
      R"(([A-Za-z_]\w*)((?:\s*\.\s*\w+)+)\s*(?:\*\*|//|>>|<<|[-+*/%&|^@])?=(?!=))"};
  for (auto it = std::sregex_iterator(code.begin(), code.end(), attr_assign); it != std::sregex_iterator();
       ++it) {
    if ((*it)[1].str() != "self") {
      violations.push_back("line " + std::to_string(line_of(static_cast<std::size_t>(it->position()))) +
                           ": '" + without_spaces(it->str()) +
                           "' assigns to an attribute of something other than self "
                           "(monkey-patching is not allowed)");
    }
  }
  // CUDA names anywhere, the sources in strings included.
  std::string text{source};
  std::set<std::string> cuda_seen;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ident); it != std::sregex_iterator(); ++it) {
    auto name = it->str();
    auto why = cuda_name_reason(name);
    if (name == "asm" || name == "__asm__" || name == "__asm")
      why = "inline assembly";
    if (!why.empty() && cuda_seen.insert(name).second)
      violations.push_back("'" + name + "' is not allowed in CUDA sources (" + why + ")");
  }
  if (code.find("ModelNew") == std::string::npos)
    violations.push_back("the candidate never defines ModelNew");
  gate_result result{gate_hack, violations.empty(), {}};
  for (std::size_t i = 0; i < violations.size() && i < 8; ++i)
    result.detail += (i > 0 ? "\n" : "") + violations[i];
  if (violations.size() > 8)
    result.detail += "\n... and " + std::to_string(violations.size() - 8) + " more";
  return result;
}

}  // namespace kforge::hardware
