#include "actors/llm_proxy/response_parser.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace kforge::actors;

namespace {

const std::string kernel =
    "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
    "  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];\n}\n";

}  // namespace

TEST_CASE("the parser takes the kernel from a fenced cpp block amid prose", "[actors]") {
  auto reply = "Here is a faster version.\n\n```cpp\n" + kernel + "```\n\nIt unrolls the loop.";
  auto k = parse_kernel(reply, "add_rows");
  REQUIRE(k.usable);
  CHECK(k.source == kernel);
  CHECK(k.problem.empty());
}

TEST_CASE("the parser prefers the last C++ block that defines the function", "[actors]") {
  SECTION("a sketch in another language comes first") {
    auto reply =
        "Idea:\n```python\nfor i in range(n): c[i] = a[i] + b[i]\n```\nKernel:\n~~~c++\n" + kernel + "~~~\n";
    auto k = parse_kernel(reply, "add_rows");
    REQUIRE(k.usable);
    CHECK(k.source == kernel);
  }
  SECTION("a helper block without the function, then the kernel, then a usage example") {
    auto reply = "```cpp\nstatic inline float twice(float x) { return 2 * x; }\n```\n```cpp\n" + kernel +
                 "```\nUsage:\n```\nadd_rows(a, b, c, 4, 250);\n```\n";
    auto k = parse_kernel(reply, "add_rows");
    REQUIRE(k.usable);
    // The usage block calls add_rows but does not define it.
    CHECK(k.source == kernel);
  }
  SECTION("an unlabelled block counts as C++") {
    auto k = parse_kernel("```\n" + kernel + "```", "add_rows");
    CHECK(k.usable);
  }
}

TEST_CASE("without fences the whole reply is the kernel if it is C++", "[actors]") {
  CHECK(parse_kernel(kernel, "add_rows").usable);
  auto prose = parse_kernel("I cannot help with that; please share more details.", "add_rows");
  CHECK_FALSE(prose.usable);
  CHECK(prose.problem.find("no code block") != std::string::npos);
}

TEST_CASE("replies with no usable kernel say why", "[actors]") {
  SECTION("truncated inside the block") {
    auto k = parse_kernel(
        "Sure:\n```cpp\nvoid add_rows(const float* a, const float* b, float* c, int rows, "
        "int cols) {\n  for (int i = 0; i <",
        "add_rows");
    CHECK_FALSE(k.usable);
    CHECK(k.problem.find("truncated") != std::string::npos);
  }
  SECTION("wrong language only") {
    auto k = parse_kernel("```python\ndef add_rows(a, b):\n    return a + b\n```", "add_rows");
    CHECK_FALSE(k.usable);
    CHECK(k.problem.find("python") != std::string::npos);
  }
  SECTION("the block defines another function") {
    auto k = parse_kernel("```cpp\nvoid other(float* x) { x[0] = 1; }\n```", "add_rows");
    CHECK_FALSE(k.usable);
    CHECK(k.problem.find("add_rows") != std::string::npos);
  }
  SECTION("empty") {
    CHECK_FALSE(parse_kernel("", "add_rows").usable);
    CHECK_FALSE(parse_kernel(" \n\t ", "add_rows").usable);
  }
  SECTION("a kernel over the size limit") {
    parse_limits limits;
    limits.max_kernel_bytes = 32;
    auto k = parse_kernel("```cpp\n" + kernel + "```", "add_rows", limits);
    CHECK_FALSE(k.usable);
    CHECK(k.problem.find("longer than") != std::string::npos);
  }
}

TEST_CASE("function_name finds the identifier before the parameter list", "[actors]") {
  CHECK(function_name("void gemv(const float* A, const float* x, float* y, int M, int N)") == "gemv");
  CHECK(function_name("void  softmax_rows (const float* x)") == "softmax_rows");
  CHECK(function_name("no parens").empty());
}

// Seeded random fuzzing (runs in CI): mutations of realistic replies and raw random bytes.
// The parser must never crash, and a usable result must define the function.
TEST_CASE("the parser survives 20000 mutated and random replies", "[actors][fuzz]") {
  std::mt19937_64 rng{20261121};
  const std::vector<std::string> seeds = {
      "Here:\n```cpp\n" + kernel + "```\nDone.",
      "```python\nx = 1\n```\n```c++\n" + kernel + "```",
      kernel,
      "~~~~cpp\n" + kernel + "~~~~\n```\n",
      "```cpp {.numberLines}\n" + kernel,
      "   ```cpp\n" + kernel + "   ```",
  };
  const std::string alphabet = "`~{}();\n \tabcdefghijklmnopqrstuvwxyz_add_rows0123456789\x00\xff\x80\r";
  int usable = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    if (iter % 5 == 0) {
      std::uniform_int_distribution<std::size_t> len{0, 600};
      std::uniform_int_distribution<int> byte{0, 255};
      text.resize(len(rng));
      for (auto& c : text)
        c = static_cast<char>(byte(rng));
    } else {
      text = seeds[static_cast<std::size_t>(iter) % seeds.size()];
      std::uniform_int_distribution<int> edits{1, 8};
      for (int e = edits(rng); e > 0 && !text.empty(); --e) {
        std::uniform_int_distribution<std::size_t> pos{0, text.size() - 1};
        std::uniform_int_distribution<std::size_t> pick{0, alphabet.size() - 1};
        switch (rng() % 4) {
          case 0:
            text.erase(pos(rng), 1 + rng() % 16);
            break;
          case 1:
            text.insert(pos(rng), 1, alphabet[pick(rng)]);
            break;
          case 2:
            text[pos(rng)] = alphabet[pick(rng)];
            break;
          default:
            text.resize(pos(rng));  // truncation
            break;
        }
      }
    }
    auto k = parse_kernel(text, "add_rows");
    if (k.usable) {
      ++usable;
      REQUIRE(k.source.find("add_rows") != std::string::npos);
      REQUIRE(k.problem.empty());
    } else {
      REQUIRE_FALSE(k.problem.empty());
    }
  }
  // The mutations leave many replies intact: the fuzzer exercises both outcomes.
  CHECK(usable > 1000);
  CHECK(usable < 20000);
}

TEST_CASE("the model's technique and optimization lines are read outside the code block", "[llm][parser]") {
  auto reply = std::string{
      "Here is the kernel.\n"
      "```cpp\n"
      "// Optimization: not this one, it is inside the code\n"
      "void f(float* x) { x[0] = 1; }\n"
      "```\n"
      "**Technique:** `multiple_accumulators`\n"
      "- Optimization: split the row sum into 4 accumulators\n"};
  auto notes = parse_notes(reply);
  CHECK(notes.technique == "multiple_accumulators");
  CHECK(notes.optimization == "split the row sum into 4 accumulators");

  SECTION("absent lines leave the notes empty") {
    auto none = parse_notes("```cpp\nvoid f() {}\n```\n");
    CHECK(none.technique.empty());
    CHECK(none.optimization.empty());
  }
  SECTION("a hostile line is cut and its control characters replaced") {
    auto hostile = parse_notes("Optimization: " + std::string(5000, 'x') + "\x01\x1b[2J\n", 64);
    CHECK(hostile.optimization.size() == 64);
    auto escape = parse_notes("Technique: a\x1b[2Jb\n");
    CHECK(escape.technique.find('\x1b') == std::string::npos);
  }
}
