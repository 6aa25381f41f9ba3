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

// A string literal's text (quotes and escapes as written) with the C/C++ comments it holds blanked,
// newlines kept. Conservative where Python escapes could change what the compiler sees: a line
// comment ends at the first backslash, and a block comment holding a backslash or never closed in
// this literal is kept as code.
std::string without_c_comments(std::string_view lit) {
  std::string out{lit};
  std::size_t i = 0;
  while (i + 1 < out.size()) {
    if (out[i] == '/' && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n' && out[i] != '\\')
        out[i++] = ' ';
      continue;
    }
    if (out[i] == '/' && out[i + 1] == '*') {
      auto end = out.find("*/", i + 2);
      if (end == std::string::npos || out.find('\\', i) < end) {
        i += 2;
        continue;
      }
      for (; i < end + 2; ++i)
        out[i] = out[i] == '\n' ? '\n' : ' ';
      continue;
    }
    ++i;
  }
  return out;
}

// Python source with string literals blanked (kept as spaces, newlines kept) and comments removed;
// `cuda_view` gets the same source with comments removed but the literals kept, each without the
// C/C++ comments it holds (the text the CUDA names are looked for in); `fstrings` counts f-string
// literals (their braces hold code the gate would not see).
std::string python_code_only(std::string_view src, std::string& cuda_view, int& fstrings,
                             bool& unterminated) {
  std::string out;
  out.reserve(src.size());
  cuda_view.clear();
  cuda_view.reserve(src.size());
  fstrings = 0;
  unterminated = false;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (c == '#') {
      while (i < src.size() && src[i] != '\n') {
        out += ' ';
        cuda_view += ' ';
        ++i;
      }
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
      cuda_view += without_c_comments(src.substr(i, std::min(j, src.size()) - i));
      i = j;
      continue;
    }
    out += c;
    cuda_view += c;
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

// One `def` of the candidate: where its text starts and its body ends, and its parameters' names.
struct def_scope {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::vector<std::string> params;
};

// The `def`s of `code` (strings blanked, comments removed). A body is every following line
// indented more than the `def`, blank lines included.
std::vector<def_scope> def_scopes(const std::string& code) {
  std::vector<def_scope> scopes;
  static const std::regex def_re{R"((?:^|\n)([ \t]*)(?:async[ \t]+)?def[ \t]+\w+[ \t]*\()"};
  for (auto it = std::sregex_iterator(code.begin(), code.end(), def_re); it != std::sregex_iterator(); ++it) {
    def_scope d;
    d.begin = static_cast<std::size_t>(it->position(1));
    auto indent = static_cast<std::size_t>(it->length(1));
    std::size_t open = static_cast<std::size_t>(it->position() + it->length());
    int depth = 1;
    std::size_t close = open;
    for (; close < code.size() && depth > 0; ++close) {
      if (code[close] == '(' || code[close] == '[' || code[close] == '{')
        ++depth;
      else if (code[close] == ')' || code[close] == ']' || code[close] == '}')
        --depth;
    }
    if (depth != 0)
      continue;
    // Parameter names: each top-level comma-separated item up to ':' or '=', without '*'.
    std::string item;
    int nest = 0;
    auto take = [&] {
      auto name = without_spaces(item.substr(0, item.find_first_of(":=")));
      name.erase(0, name.find_first_not_of('*'));
      if (!name.empty())
        d.params.push_back(name);
      item.clear();
    };
    for (std::size_t k = open; k + 1 < close; ++k) {
      char ch = code[k];
      nest += (ch == '(' || ch == '[' || ch == '{') ? 1 : (ch == ')' || ch == ']' || ch == '}') ? -1 : 0;
      if (ch == ',' && nest == 0)
        take();
      else
        item += ch;
    }
    take();
    // The body: lines after the def's line indented deeper than it.
    auto line_end = code.find('\n', close);
    d.end = line_end == std::string::npos ? code.size() : line_end;
    while (d.end < code.size()) {
      auto next_end = code.find('\n', d.end + 1);
      if (next_end == std::string::npos)
        next_end = code.size();
      auto line = std::string_view{code}.substr(d.end + 1, next_end - d.end - 1);
      auto first = line.find_first_not_of(" \t\r");
      if (first != std::string_view::npos && first <= indent)
        break;
      d.end = next_end;
    }
    scopes.push_back(std::move(d));
  }
  return scopes;
}

// True when `name` is rebound in code[begin, end) other than as a parameter (assigned, imported as,
// a loop or with target, declared global).
bool rebinds(const std::string& code, const def_scope& d, const std::string& name) {
  std::string body = code.substr(d.begin, d.end - d.begin);
  std::regex re{"(?:^|[^\\w.])" + name + R"(\s*(?::[^=\n]*)?=(?!=)|\bas\s+)" + name + R"(\b|\bfor\s+)" +
                name + R"(\b|\b(?:global|nonlocal)\s+[^\n]*\b)" + name + R"(\b|\bdel\s+)" + name + "\\b"};
  return std::regex_search(body, re);
}

// True when position `pos` lies in a def of which `name` is a parameter (`first`: the first one)
// and, with `fixed`, that def never rebinds it.
bool bound_as_parameter(const std::string& code, const std::vector<def_scope>& scopes, std::size_t pos,
                        const std::string& name, bool first, bool fixed) {
  for (const auto& d : scopes) {
    if (pos < d.begin || pos >= d.end || d.params.empty())
      continue;
    bool is_param = first ? d.params.front() == name
                          : std::find(d.params.begin(), d.params.end(), name) != d.params.end();
    if (is_param && (!fixed || !rebinds(code, d, name)))
      return true;
  }
  return false;
}

// Attribute assignments that are settings, not monkey-patching: the harness does not read them.
const std::set<std::string>& allowed_attribute_assignments() {
  static const std::set<std::string> names = {"torch.backends.cudnn.benchmark"};
  return names;
}

// Names in the CUDA sources that the native gate's table does not know: ATen's and c10's ways to
// put work on another stream or time it. The current stream (getCurrentCUDAStream) stays allowed.
const std::map<std::string, std::string>& aten_forbidden() {
  static const std::map<std::string, std::string> names = [] {
    std::map<std::string, std::string> m;
    const char* why = "streams other than the current one (work the harness's timing would not see)";
    for (const auto* n :
         {"getStreamFromPool", "getStreamFromExternal", "CUDAStreamGuard", "OptionalCUDAStreamGuard",
          "CUDAMultiStreamGuard", "setCurrentCUDAStream", "StreamGuard", "OptionalStreamGuard"})
      m.emplace(n, why);
    m.emplace("CUDAEvent", "events (timing belongs to the harness)");
    m.emplace("CUDAGraph", "graphs (work the harness's timing would not see)");
    return m;
  }();
  return names;
}

// Library names that prose mentions (cuDNN, cuBLAS, ...): not driver API functions.
const std::set<std::string>& library_names() {
  static const std::set<std::string> names = {"cuDNN",    "cuBLAS",   "cuBLASLt", "cuFFT",   "cuRAND",
                                              "cuSPARSE", "cuSOLVER", "cuTENSOR", "cuTLASS", "cuDSS"};
  return names;
}

// True when the `cudaSetDevice` at `pos` of `text` selects the device of a tensor argument
// (`cudaSetDevice(x.device().index())` or `cudaSetDevice(x.get_device())`): the one visible GPU.
bool sets_tensor_device(const std::string& text, std::size_t pos) {
  static const std::regex re{
      R"(cudaSetDevice\s*\(\s*[A-Za-z_]\w*\s*(?:\.\s*device\s*\(\s*\)\s*\.\s*index|\.\s*get_device)\s*\(\s*\)\s*\))"};
  std::smatch m;
  return std::regex_search(text.cbegin() + static_cast<long>(pos), text.cend(), m, re,
                           std::regex_constants::match_continuous);
}

}  // namespace

gate_result hack_check_python(const task_def&, std::string_view source) {
  std::vector<std::string> violations;
  int fstrings = 0;
  bool unterminated = false;
  std::string cuda_view;
  auto code = python_code_only(source, cuda_view, fstrings, unterminated);
  auto scopes = def_scopes(code);
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
    // `input` as a parameter (autograd Functions' `forward(ctx, input)`) is not the builtin.
    auto pos = static_cast<std::size_t>(it->position());
    if (name == "input" && bound_as_parameter(code, scopes, pos, name, false, false))
      continue;
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
    auto target = without_spaces(it->str().substr(0, it->str().find_first_of("=*/%&|^@<>+-")));
    auto pos = static_cast<std::size_t>(it->position());
    // `ctx.x = ...` in an autograd Function's forward or backward (ctx its first parameter, one level).
    bool ctx_field = (*it)[1].str() == "ctx" && std::count(target.begin(), target.end(), '.') == 1 &&
                     target.find("__") == std::string::npos &&
                     bound_as_parameter(code, scopes, pos, "ctx", true, true);
    if ((*it)[1].str() != "self" && !ctx_field && allowed_attribute_assignments().count(target) == 0) {
      violations.push_back("line " + std::to_string(line_of(static_cast<std::size_t>(it->position()))) +
                           ": '" + without_spaces(it->str()) +
                           "' assigns to an attribute of something other than self "
                           "(monkey-patching is not allowed)");
    }
  }
  // CUDA names anywhere but in comments, the sources in strings included.
  std::set<std::string> cuda_seen;
  for (auto it = std::sregex_iterator(cuda_view.begin(), cuda_view.end(), ident);
       it != std::sregex_iterator(); ++it) {
    auto name = it->str();
    auto why = cuda_name_reason(name);
    if (name == "asm" || name == "__asm__" || name == "__asm")
      why = "inline assembly";
    if (auto a = aten_forbidden().find(name); a != aten_forbidden().end())
      why = a->second;
    // The stream type names the current stream too (`cudaStream_t s = at::cuda::getCurrentCUDAStream()`).
    if (name == "cudaStream_t" || library_names().count(name) != 0 ||
        (name == "cudaSetDevice" && sets_tensor_device(cuda_view, static_cast<std::size_t>(it->position()))))
      why.clear();
    if (!why.empty() && cuda_seen.insert(name).second)
      violations.push_back("line " + std::to_string(line_of(static_cast<std::size_t>(it->position()))) +
                           ": '" + name + "' is not allowed in CUDA sources (" + why + ")");
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
