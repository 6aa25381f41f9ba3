#include "hardware/gates/hack_check.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

task_def signature_task() {
  task_def task;
  task.id = "add";
  task.signature = "void add_rows(const float* a, const float* b, float* c, int rows, int cols)";
  return task;
}

const std::string clean_kernel = R"(// Adds two matrices. Never calls system("rm") or printf.
#include <cmath>
#include <immintrin.h>
#include <algorithm>

#define KF_STR(x) #x
#define UNROLL(n) _Pragma(KF_STR(GCC unroll n))

static inline float kf_add(float x, float y) { return x + y; }

void add_rows(const float* __restrict a, const float* __restrict b, float* __restrict c, int rows, int cols) {
  const char* note = "fork() exit(1) time(0) /* not a comment */";
  const char quote = '"';
  static_cast<void>(note);
  static_cast<void>(quote);
  int total = rows * 1'000 / 1'000 * cols;
  float read = 0.0f, time_scale = 1.0f;  // `read` as a variable is fine; only calls are not
#pragma GCC ivdep
  UNROLL(4)
  for (int i = 0; i < total; ++i) c[i] = kf_add(a[i], b[i]) * time_scale + read;
}
)";

// Runs the hack gate on the clean kernel with `extra` appended.
gate_result check_with(const std::string& extra) {
  return hack_check(signature_task(), clean_kernel + extra);
}

}  // namespace

TEST_CASE("A clean kernel passes the hack gate, whatever its comments and strings mention", "[hardware]") {
  auto result = hack_check(signature_task(), clean_kernel);
  CHECK(result.gate == gate_hack);
  CHECK(result.detail == "");
  CHECK(result.passed);
}

TEST_CASE("The hack gate rejects each forbidden construct naming the token and its line", "[hardware]") {
  // The clean kernel has 21 lines; appended code starts on line 22.
  struct example {
    std::string code;
    std::string expected;
  };
  auto examples = GENERATE(values<example>({
      {"#include <cstdio>\n", "line 22: '#include <cstdio>' is not allowed"},
      {"#include \"evil.h\"\n", "line 22: '#include' must name an allowed header"},
      {"#define H <cstdlib>\n#include H\n", "line 23: '#include' must name an allowed header"},
      {"void f() { asm(\"nop\"); }\n", "line 22: 'asm' is not allowed (inline assembly)"},
      {"void f() { __asm__ volatile(\"\"); }\n", "line 22: '__asm__' is not allowed (inline assembly)"},
      {"int f() { return system(\"ls\"); }\n", "line 22: 'system' is not allowed (process control)"},
      {"int f() { return popen(0, 0) != 0; }\n", "line 22: 'popen' is not allowed (process control)"},
      {"int f() { return fork(); }\n", "line 22: 'fork' is not allowed (process control)"},
      {"int f() { return execvp(0, 0); }\n", "line 22: 'execvp' is not allowed (process control)"},
      {"long f() { return syscall(39); }\n", "line 22: 'syscall' is not allowed (process control)"},
      {"void f() { fopen(\"x\", \"w\"); }\n", "line 22: 'fopen' is not allowed (file I/O)"},
      {"void f(int fd) { write(fd, 0, 0); }\n", "line 22: 'write' may not be called"},
      {"void f(int fd) { read (fd, 0, 0); }\n", "line 22: 'read' may not be called"},
      {"void f() { open(\"x\", 0); }\n", "line 22: 'open' may not be called"},
      {"int f() { return socket(2, 1, 0); }\n", "line 22: 'socket' is not allowed (network)"},
      {"long f() { return clock(); }\n", "line 22: 'clock' is not allowed (time)"},
      {"void f() { struct timespec t; clock_gettime(1, &t); }\n",
       "line 22: 'clock_gettime' is not allowed (time)"},
      {"long f() { return time(0); }\n", "line 22: 'time' is not allowed (time)"},
      {"long f() { return __rdtsc(); }\n", "line 22: '__rdtsc' is not allowed (time)"},
      {"long f() { return __builtin_ia32_rdtsc(); }\n",
       "line 22: '__builtin_ia32_rdtsc' is not allowed (time)"},
      {"auto f() { return std::chrono::steady_clock::now(); }\n", "line 22: 'chrono' is not allowed (time)"},
      {"void f() { std::thread t; }\n", "line 22: 'thread' is not allowed (threads)"},
      {"void f() { pthread_create(0, 0, 0, 0); }\n", "line 22: 'pthread_create' is not allowed (threads)"},
      {"void* f() { return dlsym(0, \"x\"); }\n", "line 22: 'dlsym' is not allowed (dynamic loading)"},
      {"const char* f() { return getenv(\"KEY\"); }\n", "line 22: 'getenv' is not allowed (environment)"},
      {"void f() { exit(0); }\n", "line 22: 'exit' is not allowed (program exit)"},
      {"void f() { std::abort(); }\n", "line 22: 'abort' is not allowed (program exit)"},
      {"void f() { signal(11, 0); }\n", "line 22: 'signal' is not allowed (signals)"},
      {"void* f() { return mmap(0, 1, 0, 0, -1, 0); }\n", "line 22: 'mmap' is not allowed (memory mapping)"},
      {"void f() { jmp_buf b; longjmp(b, 1); }\n", "line 22: 'jmp_buf' is not allowed (non-local jumps)"},
      {"int main() { return 0; }\n", "line 22: 'main' is not allowed (program entry points"},
      {"extern \"C\" int clock_gettime(int, void*) { return 0; }\n", "line 22: 'extern' is not allowed"},
      {"int kforge_timer = 0;\n", "line 22: 'kforge_timer' is not allowed (reserved for the harness)"},
      {"#define CAT(a, b) a##b\n", "line 22: '##' is not allowed"},
      {"#pragma GCC poison x\n", "line 22: '#pragma GCC poison' is not allowed"},
      {"#pragma redefine_extname a b\n", "line 22: '#pragma redefine_extname a' is not allowed"},
      {"_Pragma(\"weak add_rows\")\n", "line 22: '#pragma weak add_rows' is not allowed"},
      {"#pragma GCC optimize(\"-fplugin=/tmp/x.so\")\n", "may not name paths or plugins"},
      {"#define GCC redefine_extname\n", "line 22: '#define GCC' redefines a reserved name"},
      {"__attribute__((constructor)) void f() {}\n", "line 22: 'constructor' is not allowed"},
      {"[[gnu::destructor]] void f() {}\n", "line 22: 'destructor' is not allowed"},
      {"#ident \"x\"\n", "line 22: '#ident' is not an allowed directive"},
      {"void f() { const char* s = \"unterminated; }\n", "line 22: unterminated literal"},
      {"/* never closed\n", "line 22: unterminated comment"},
      {"void f() { sys\\\ntem(\"ls\"); }\n", "line 22: 'system' is not allowed"},
  }));
  auto result = check_with(examples.code);
  INFO(examples.code);
  CHECK_FALSE(result.passed);
  CHECK_THAT(result.detail, Catch::Contains(examples.expected));
}

TEST_CASE("The hack gate allows the listed pragmas and headers", "[hardware]") {
  auto result = check_with(
      "#pragma omp simd\n#pragma GCC optimize(\"O3,fast-math\")\n#pragma GCC target(\"avx2\")\n"
      "#pragma GCC push_options\n#pragma GCC pop_options\n#include <cstring>\n#include <math.h>\n"
      "_Pragma(\"GCC unroll 8\")\n#if defined(__AVX2__)\n#endif\n#error don't\n");
  CHECK(result.detail == "");
  CHECK(result.passed);
}

TEST_CASE("The hack gate rejects a kernel that never defines the task's function", "[hardware]") {
  auto result = hack_check(signature_task(), "void sub_rows() {}\n");
  CHECK_FALSE(result.passed);
  CHECK(result.detail == "the kernel function 'add_rows' of the task's signature is never defined");
}

TEST_CASE("The hack gate lists at most eight violations", "[hardware]") {
  std::string many;
  for (int i = 0; i < 12; ++i)
    many += "void f" + std::to_string(i) + "() { exit(1); }\n";
  auto result = check_with(many);
  CHECK_THAT(result.detail, Catch::EndsWith("... and 4 more"));
}
