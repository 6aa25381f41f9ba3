#include "hardware/gates/hack_check.hpp"

#include "hardware/gates/forbidden_names.hpp"
#include "hardware/gates/source_lexer.hpp"

#include "runtime/base/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kforge::hardware {

namespace {

const std::set<std::string>& allowed_headers() {
  static const std::set<std::string> headers = {"cmath",  "cstdint",  "cstddef",  "cstring",     "algorithm",
                                                "limits", "cfloat",   "climits",  "type_traits", "array",
                                                "math.h", "stdint.h", "string.h", "immintrin.h"};
  return headers;
}

const std::set<std::string>& allowed_directives() {
  static const std::set<std::string> names = {"include", "define",  "undef", "if",      "ifdef",
                                              "ifndef",  "elif",    "else",  "endif",   "pragma",
                                              "error",   "warning", "line",  "elifdef", "elifndef"};
  return names;
}

// Names a macro may not take: the words allowed pragmas are made of, so that
// `#define GCC redefine_extname` cannot turn an allowed pragma into another.
const std::set<std::string>& pragma_words() {
  static const std::set<std::string> words = {"GCC",      "omp",     "unroll",       "ivdep",        "simd",
                                              "optimize", "target",  "push_options", "pop_options",  "STDC",
                                              "once",     "_Pragma", "defined",      "__has_include"};
  return words;
}

// Attributes that run code before or after main or redirect symbols.
const std::set<std::string>& dangerous_attributes() {
  static const std::set<std::string> names = {"constructor", "destructor",   "alias",   "ifunc",
                                              "weak",        "weakref",      "section", "visibility",
                                              "symver",      "init_priority"};
  return names;
}

// Short, common words that are forbidden only as calls (a variable may be called `read`).
const std::set<std::string>& call_only_names() {
  static const std::set<std::string> names = {"read", "write", "open", "close", "wait",  "sleep",
                                              "pipe", "dup",   "dup2", "poll",  "pause", "select"};
  return names;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Why `name` may not appear in a kernel, or "" if it may.
std::string forbidden_reason(const std::string& name) {
  const auto& names = forbidden_names();
  if (auto it = names.find(name); it != names.end()) {
    // The builtin-only names (apply, ...) are forbidden as __builtin_ suffixes only.
    if (it->second != "stack introspection" || starts_with(name, "__builtin_"))
      return it->second;
  }
  if (starts_with(name, "kforge_") || starts_with(name, "KFORGE_"))
    return "reserved for the harness";
  if (starts_with(name, "pthread_"))
    return "threads";
  if (starts_with(name, "clock") || starts_with(name, "CLOCK_"))
    return "time";
  for (std::string_view prefix :
       {"Elf32_", "Elf64_", "ElfW", "ELF32_", "ELF64_", "ELFMAG", "DT_", "PT_", "SHT_", "STT_", "STB_",
        "R_X86_64_", "R_AARCH64_", "AT_", "_dl_", "__libc_"}) {
    if (starts_with(name, prefix))
      return "relocation and symbol-table walking";
  }
  for (std::string_view prefix : {"Py", "_Py"}) {
    if (starts_with(name, prefix) && name.size() > prefix.size() &&
        (std::isupper(static_cast<unsigned char>(name[prefix.size()])) != 0 || name[prefix.size()] == '_'))
      return "the Python C API";
  }
  if (starts_with(name, "posix_spawn"))
    return "process control";
  if (starts_with(name, "SYS_") || starts_with(name, "__NR_"))
    return "process control";
  if (name.find("rdtsc") != std::string::npos || name.find("rdpmc") != std::string::npos)
    return "time";
  if (starts_with(name, "__builtin_")) {
    auto rest = name.substr(10);
    if (auto it = names.find(rest); it != names.end())
      return it->second;
    if (call_only_names().count(rest) != 0)
      return "file I/O";
  }
  return {};
}

std::string strip_underscores(const std::string& word) {
  if (word.size() > 4 && starts_with(word, "__") && word.compare(word.size() - 2, 2, "__") == 0) {
    return word.substr(2, word.size() - 4);
  }
  return word;
}

// Index of the ')' matching the '(' at tokens[open], or tokens.size().
std::size_t matching_paren(const std::vector<token>& tokens, std::size_t open) {
  int depth = 0;
  for (auto i = open; i < tokens.size(); ++i) {
    if (tokens[i].kind != token_kind::punct)
      continue;
    if (tokens[i].text == "(")
      ++depth;
    if (tokens[i].text == ")" && --depth == 0)
      return i;
  }
  return tokens.size();
}

// CUDA headers a CUDA kernel may include besides the C++ ones.
const std::set<std::string>& cuda_headers() {
  static const std::set<std::string> headers = {"cuda_runtime.h",
                                                "cuda_fp16.h",
                                                "cuda_bf16.h",
                                                "mma.h",
                                                "cooperative_groups.h",
                                                "cuda_pipeline.h",
                                                "device_launch_parameters.h",
                                                "cooperative_groups/reduce.h"};
  return headers;
}

// Why a CUDA kernel may not name `name`, or "" if it may: work outside the harness's stream and
// events, timing, device state the harness owns, the driver API, managed memory.
std::string cuda_forbidden_reason(const std::string& name) {
  static const std::map<std::string, std::string> names = {
      {"cudaDeviceReset", "device state"},
      {"cudaSetDevice", "device state"},
      {"cudaDeviceSetLimit", "device state"},
      {"cudaSetDeviceFlags", "device state"},
      {"cudaLaunchHostFunc", "host callbacks"},
      {"cudaMallocManaged", "managed memory"},
      {"cudaHostRegister", "host memory mapping"},
      {"cudaHostAlloc", "host memory mapping"},
      {"cudaThreadSynchronize", "device state"},
      {"cudaThreadExit", "device state"},
      {"__nanosleep", "time"},
      {"globaltimer", "time"},
      {"cudaDeviceScheduleSpin", "device state"},
      {"cudaMemcpyPeer", "other devices"},
      {"cudaMemcpyPeerAsync", "other devices"},
      {"cudaDeviceEnablePeerAccess", "other devices"},
      {"cudaStreamPerThread", "streams other than the default one"},
      {"cudaStreamLegacy", "streams other than the default one"}};
  if (auto it = names.find(name); it != names.end())
    return it->second;
  if (starts_with(name, "cudaStream") || starts_with(name, "cudaGraph") || starts_with(name, "cudaExternal"))
    return "streams and graphs other than the default stream (work the harness's events would not time)";
  if (starts_with(name, "cudaEvent"))
    return "events (timing belongs to the harness)";
  if (starts_with(name, "cudaProfiler") || starts_with(name, "cudaIpc") || starts_with(name, "cudaCtx"))
    return "device state";
  // The driver API (cuInit, cuCtxCreate, cuLaunchKernel, cuStreamCreate, ...).
  if (name.size() > 2 && name[0] == 'c' && name[1] == 'u' &&
      std::isupper(static_cast<unsigned char>(name[2])) != 0)
    return "the CUDA driver API";
  return {};
}

// What a checker judges: a CPU kernel, a CUDA kernel, or the C++ and CUDA of a KernelBench
// candidate's load_inline (a torch extension: any system header but those of the process,
// the loader and Python; pybind11's bindings but not its interpreter access).
enum class source_mode { cpu, cuda, extension };

// Headers a torch extension may not include: the process, the loader, Python's interpreter.
bool extension_header_denied(const std::string& h) {
  static const std::set<std::string> denied = {
      "Python.h", "frameobject.h", "dlfcn.h",          "link.h",          "elf.h",    "unistd.h",
      "signal.h", "csignal",       "spawn.h",          "pthread.h",       "thread",   "chrono",
      "ctime",    "time.h",        "fstream",          "filesystem",      "setjmp.h", "csetjmp",
      "fcntl.h",  "execinfo.h",    "pybind11/embed.h", "pybind11/eval.h", "future",   "ucontext.h"};
  return denied.count(h) != 0 || starts_with(h, "sys/") || starts_with(h, "python");
}

// Why extension code may not name `name` beyond the native tables: pybind11's ways into the
// interpreter, ATen's side streams, events and graphs.
std::string extension_reason(const std::string& name) {
  static const std::map<std::string, std::string> names = [] {
    std::map<std::string, std::string> m;
    for (const auto* n : {"import", "exec", "eval", "eval_file", "globals", "getattr", "setattr", "hasattr",
                          "delattr", "attr", "reinterpret_borrow", "reinterpret_steal", "builtins"})
      m.emplace(n, "the Python interpreter through pybind11");
    for (const auto* n :
         {"getStreamFromPool", "getStreamFromExternal", "CUDAStreamGuard", "OptionalCUDAStreamGuard",
          "CUDAMultiStreamGuard", "setCurrentCUDAStream", "StreamGuard", "OptionalStreamGuard"})
      m.emplace(n, "streams other than the current one (work the harness's timing would not see)");
    m.emplace("CUDAEvent", "events (timing belongs to the harness)");
    m.emplace("CUDAGraph", "graphs (work the harness's timing would not see)");
    return m;
  }();
  auto it = names.find(name);
  return it == names.end() ? std::string{} : it->second;
}

// Common variable names in CUDA code that name threads or time only as calls or `std::` names.
bool qualified_only(const std::string& name) {
  static const std::set<std::string> names = {"time",  "thread", "async",  "future", "promise", "mutex",
                                              "times", "access", "signal", "raise",  "stat",    "exit"};
  return names.count(name) != 0;
}

class checker {
 public:
  explicit checker(const std::vector<token>& tokens, source_mode mode = source_mode::cpu)
      : tokens_(tokens), cuda_(mode != source_mode::cpu), ext_(mode == source_mode::extension) {}

  std::vector<std::string> run() {
    std::size_t i = 0;
    while (i < tokens_.size()) {
      const auto& t = tokens_[i];
      if (t.kind == token_kind::punct && t.text == "#" && t.line_start) {
        i = directive(i);
      } else {
        check_token(i);
        ++i;
      }
    }
    return std::move(violations_);
  }

 private:
  void flag(int line, const std::string& what, const std::string& why) {
    violations_.push_back("line " + std::to_string(line) + ": " + what + " " + why);
  }

  void flag_name(const token& t, const std::string& reason) {
    flag(t.line, "'" + t.text + "'", "is not allowed (" + reason + ")");
  }

  // End of the logical line that starts at tokens_[i].
  std::size_t line_end(std::size_t i) const {
    auto j = i + 1;
    while (j < tokens_.size() && !tokens_[j].line_start)
      ++j;
    return j;
  }

  std::size_t directive(std::size_t i) {
    auto end = line_end(i);
    if (i + 1 == end)
      return end;  // the null directive
    const auto& name = tokens_[i + 1];
    if (name.kind != token_kind::identifier || allowed_directives().count(name.text) == 0) {
      flag(name.line, "'#" + name.text + "'", "is not an allowed directive");
      return end;
    }
    if (name.text == "include") {
      const token* header = i + 2 < end ? &tokens_[i + 2] : nullptr;
      if (ext_ && header != nullptr && header->kind == token_kind::header) {
        if (extension_header_denied(header->text))
          flag(name.line, "'#include <" + header->text + ">'",
               "is not allowed (the process, the loader or the Python interpreter)");
        return end;
      }
      if (header == nullptr || header->kind != token_kind::header) {
        flag(name.line, "'#include'",
             "must name an allowed header in <...> (no quoted or computed includes)");
      } else if (allowed_headers().count(header->text) == 0 &&
                 !(cuda_ && cuda_headers().count(header->text) != 0)) {
        std::string allowed;
        for (const auto& h : allowed_headers())
          allowed += (allowed.empty() ? "<" : " <") + h + ">";
        if (cuda_)
          for (const auto& h : cuda_headers())
            allowed += " <" + h + ">";
        flag(name.line, "'#include <" + header->text + ">'", "is not allowed (allowed: " + allowed + ")");
      }
      return end;
    }
    if (name.text == "pragma") {
      check_pragma(i + 2, end, name.line);
      return end;
    }
    if ((name.text == "define" || name.text == "undef") && i + 2 < end &&
        pragma_words().count(tokens_[i + 2].text) != 0) {
      flag(name.line, "'#" + name.text + " " + tokens_[i + 2].text + "'", "redefines a reserved name");
    }
    // A macro may not carry an attribute word: `#define ATTR constructor` hides it from the
    // attribute check (the preprocessed pass of the CPU backend sees the expansion too).
    if (name.text == "define") {
      for (auto k = i + 3; k < end; ++k) {
        if (tokens_[k].kind == token_kind::identifier &&
            dangerous_attributes().count(strip_underscores(tokens_[k].text)) != 0)
          flag_name(tokens_[k], "attributes that run or redirect code, here in a macro");
      }
    }
    if (name.text == "error" || name.text == "warning")
      return end;
    return i + 2;
  }

  // Checks the pragma words in tokens_[begin, end).
  void check_pragma(std::size_t begin, std::size_t end, int line) {
    auto word = [&](std::size_t k) { return begin + k < end ? tokens_[begin + k].text : std::string{}; };
    auto first = word(0);
    auto second = word(1);
    static const std::set<std::string> gcc_ok = {"unroll", "ivdep",        "optimize",
                                                 "target", "push_options", "pop_options"};
    bool ok = first == "once" || first == "STDC" || (first == "omp" && second == "simd") ||
              (first == "GCC" && gcc_ok.count(second) != 0) || (cuda_ && first == "unroll");
    if (!ok) {
      flag(line, "'#pragma " + first + (second.empty() ? "" : " " + second) + "'",
           "is not allowed (allowed: GCC unroll/ivdep/optimize/target/push_options/pop_options, omp simd, "
           "STDC)");
      return;
    }
    for (auto k = begin; k < end; ++k) {
      const auto& t = tokens_[k];
      if (t.kind == token_kind::string &&
          (t.text.find('/') != std::string::npos || t.text.find("plugin") != std::string::npos)) {
        flag(line, "'#pragma " + first + " " + second + "(\"" + t.text + "\")'",
             "may not name paths or plugins");
      }
    }
  }

  // _Pragma("...") or _Pragma(MACRO(words)): the words must form an allowed pragma.
  void check_pragma_operator(std::size_t i) {
    const auto& t = tokens_[i];
    if (i + 1 >= tokens_.size() || tokens_[i + 1].text != "(") {
      flag(t.line, "'_Pragma'", "must be followed by its argument");
      return;
    }
    auto close = matching_paren(tokens_, i + 1);
    auto begin = i + 2;
    if (close == begin + 1 && tokens_[begin].kind == token_kind::string) {
      auto inner = lex_source(tokens_[begin].text);
      checker sub{inner.tokens};
      sub.check_pragma(0, inner.tokens.size(), t.line);
      for (auto& v : sub.violations_)
        violations_.push_back(std::move(v));
      return;
    }
    // Skip the macro calls that stringify the words: KF_STR(GCC unroll n).
    while (begin + 1 < close && tokens_[begin].kind == token_kind::identifier &&
           tokens_[begin + 1].text == "(") {
      begin += 2;
    }
    check_pragma(begin, close, t.line);
  }

  // An ELF header's magic in a literal: code that looks for its own program's headers in memory.
  static bool elf_magic(const token& t) {
    auto lower = lowercase(t.text);
    if (t.kind == token_kind::number)
      return lower.find("464c457f") != std::string::npos || lower.find("7f454c46") != std::string::npos;
    return (t.kind == token_kind::string || t.kind == token_kind::character) &&
           (t.text.find("ELF") != std::string::npos || lower.find("\\x7f") != std::string::npos ||
            t.text.find("\\177") != std::string::npos);
  }

  // `(*)(` or `(*name)(`: a function pointer type or a call through one, the way code found at
  // run time (a symbol looked up by walking tables) is called.
  bool function_pointer(std::size_t i) const {
    auto text = [&](std::size_t k) { return k < tokens_.size() ? tokens_[k].text : std::string{}; };
    if (text(i) != "(" || text(i + 1) != "*")
      return false;
    if (text(i + 2) == ")" && text(i + 3) == "(")
      return true;
    return i + 2 < tokens_.size() && tokens_[i + 2].kind == token_kind::identifier && text(i + 3) == ")" &&
           text(i + 4) == "(";
  }

  void check_token(std::size_t i) {
    const auto& t = tokens_[i];
    if (elf_magic(t)) {
      flag(t.line, "an ELF magic literal", "is not allowed (relocation and symbol-table walking)");
      return;
    }
    if (function_pointer(i)) {
      flag(t.line, "'(*)(...)'",
           "is not allowed (function pointers: kernels call no code found at run time)");
      return;
    }
    if (t.kind == token_kind::punct && t.text == "##") {
      flag(t.line, "'##'", "is not allowed (token pasting can assemble forbidden names)");
      return;
    }
    if (t.kind != token_kind::identifier)
      return;
    if (t.text == "_Pragma") {
      check_pragma_operator(i);
      return;
    }
    if (t.text == "__attribute__" || t.text == "__attribute") {
      auto open = i + 1;
      if (open < tokens_.size() && tokens_[open].text == "(") {
        auto close = matching_paren(tokens_, open);
        for (auto k = open; k < close; ++k) {
          if (dangerous_attributes().count(strip_underscores(tokens_[k].text)) != 0) {
            flag_name(tokens_[k], "attributes that run or redirect code");
          }
        }
      }
      return;
    }
    auto next = i + 1 < tokens_.size() ? tokens_[i + 1].text : std::string{};
    if (dangerous_attributes().count(strip_underscores(t.text)) != 0 && i >= 2 &&
        tokens_[i - 1].text == "::" && (tokens_[i - 2].text == "gnu" || tokens_[i - 2].text == "__gnu__")) {
      flag_name(t, "attributes that run or redirect code");
      return;
    }
    if (call_only_names().count(t.text) != 0) {
      if (next == "(" && !(ext_ && i > 0 && (tokens_[i - 1].text == "." || tokens_[i - 1].text == "->")))
        flag(t.line, "'" + t.text + "'", "may not be called (I/O and process functions)");
      return;
    }
    if (cuda_ && t.text == "extern" && next == "__shared__")
      return;  // dynamic shared memory: `extern __shared__ float tile[];`
    // A torch extension's C linkage names its own kernels (`extern "C" __global__ ...`); ATen's
    // macros (AT_DISPATCH_FLOATING_TYPES, AT_CUDA_CHECK) share the prefix of the auxv constants.
    if (ext_ &&
        ((t.text == "extern" && i + 1 < tokens_.size() && tokens_[i + 1].kind == token_kind::string) ||
         starts_with(t.text, "AT_")))
      return;
    auto prev = i > 0 ? tokens_[i - 1].text : std::string{};
    if (ext_ && qualified_only(t.text) && next != "(" && prev != "::")
      return;
    // A member (`x.clone()`, `t.select(0, i)`) is no libc function.
    auto reason = ext_ && (prev == "." || prev == "->") ? std::string{} : forbidden_reason(t.text);
    if (reason.empty() && cuda_)
      reason = cuda_forbidden_reason(t.text);
    if (ext_) {
      if (reason.empty())
        reason = extension_reason(t.text);
      // The current stream's type, a tensor's own device, library names in identifiers.
      if (t.text == "cudaStream_t" || (t.text == "cudaSetDevice" && sets_tensor_device(i)) ||
          library_name(t.text))
        reason.clear();
    }
    if (!reason.empty())
      flag_name(t, reason);
  }

  // `cudaSetDevice(x.device().index())` or `cudaSetDevice(x.get_device())` at tokens_[i].
  bool sets_tensor_device(std::size_t i) const {
    auto text = [&](std::size_t k) { return k < tokens_.size() ? tokens_[k].text : std::string{}; };
    if (text(i + 1) != "(" || i + 3 >= tokens_.size() || tokens_[i + 2].kind != token_kind::identifier ||
        text(i + 3) != ".")
      return false;
    if (text(i + 4) == "get_device")
      return text(i + 5) == "(" && text(i + 6) == ")" && text(i + 7) == ")";
    return text(i + 4) == "device" && text(i + 5) == "(" && text(i + 6) == ")" && text(i + 7) == "." &&
           text(i + 8) == "index" && text(i + 9) == "(" && text(i + 10) == ")" && text(i + 11) == ")";
  }

  static bool library_name(const std::string& name) {
    static const std::set<std::string> names = {"cuDNN",    "cuBLAS",   "cuBLASLt", "cuFFT",   "cuRAND",
                                                "cuSPARSE", "cuSOLVER", "cuTENSOR", "cuTLASS", "cuDSS"};
    return names.count(name) != 0;
  }

  const std::vector<token>& tokens_;
  bool cuda_ = false;
  bool ext_ = false;
  std::vector<std::string> violations_;
};

// The function name of a declaration: the identifier before the first '('.
std::string kernel_name(const std::string& signature) {
  auto paren = signature.find('(');
  if (paren == std::string::npos)
    return {};
  auto end = paren;
  while (end > 0 && std::isspace(static_cast<unsigned char>(signature[end - 1])) != 0)
    --end;
  auto begin = end;
  while (begin > 0 && is_identifier_char(signature[begin - 1]))
    --begin;
  return signature.substr(begin, end - begin);
}

}  // namespace

namespace {

gate_result check_source(const task_def& task, std::string_view source, bool cuda) {
  constexpr std::size_t max_listed = 8;
  auto lexed_source = lex_source(source);
  auto violations = std::move(lexed_source.problems);
  for (auto& v : checker{lexed_source.tokens, cuda ? source_mode::cuda : source_mode::cpu}.run())
    violations.push_back(std::move(v));
  auto name = kernel_name(task.signature);
  if (!name.empty() &&
      std::none_of(lexed_source.tokens.begin(), lexed_source.tokens.end(),
                   [&](const token& t) { return t.kind == token_kind::identifier && t.text == name; })) {
    violations.push_back("the kernel function '" + name + "' of the task's signature is never defined");
  }
  gate_result result{gate_hack, violations.empty(), {}};
  for (std::size_t i = 0; i < violations.size() && i < max_listed; ++i) {
    if (i > 0)
      result.detail += '\n';
    result.detail += violations[i];
  }
  if (violations.size() > max_listed) {
    result.detail += "\n... and " + std::to_string(violations.size() - max_listed) + " more";
  }
  return result;
}

}  // namespace

gate_result hack_check(const task_def& task, std::string_view source) {
  return check_source(task, source, false);
}

std::string cuda_name_reason(const std::string& name) {
  auto why = cuda_forbidden_reason(name);
  if (why.empty() && starts_with(name, "clock"))
    why = "time";
  return why;
}

gate_result hack_check_cuda(const task_def& task, std::string_view source) {
  return check_source(task, source, true);
}

std::vector<std::string> hack_check_extension(std::string_view source) {
  auto lexed_source = lex_source(source);
  auto violations = std::move(lexed_source.problems);
  for (auto& v : checker{lexed_source.tokens, source_mode::extension}.run())
    violations.push_back(std::move(v));
  return violations;
}

}  // namespace kforge::hardware
