// The trusted harness file under the work directory is placed atomically: concurrent compiles before
// any prepare (threads of one process, or several processes) each write a temporary file of their
// own, and a reader never sees a part of the harness.
#include "hardware/kernelbench/kernelbench.hpp"
#include "hardware/kernelbench/python_sources.hpp"
#include "hardware/native/cpu_backend.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace kforge;
using namespace kforge::hardware;

namespace {

// Starts `n` threads running `body(i)` together: each waits until all have started.
template <class F>
void run_together(int n, F body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < n)
        std::this_thread::yield();
      body(i);
    });
  }
  for (auto& t : threads)
    t.join();
}

}  // namespace

TEST_CASE("place_text replaces a file whole, whoever else places it at once", "[hardware][kernelbench]") {
  kforge::test::temp_dir tmp;
  auto path = tmp.path() / "shared.txt";
  constexpr int writers = 8;
  constexpr int rounds = 40;
  std::vector<std::string> texts;
  for (int i = 0; i < writers; ++i)
    texts.push_back(std::string(static_cast<std::size_t>(64 * 1024 + i), static_cast<char>('a' + i)));
  std::atomic<int> failures{0};
  std::atomic<int> torn{0};
  run_together(writers, [&](int i) {
    for (int r = 0; r < rounds; ++r) {
      if (place_text(path, texts[static_cast<std::size_t>(i)], 0644))
        failures.fetch_add(1);
      auto seen = read_text(path);
      if (!seen || std::find(texts.begin(), texts.end(), *seen) == texts.end())
        torn.fetch_add(1);
    }
  });
  CHECK(failures.load() == 0);
  CHECK(torn.load() == 0);
  // No temporary file is left behind, and the mode is the one asked for.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path()))
    ++entries;
  CHECK(entries == 1);
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read | std::filesystem::perms::others_read));
  // A directory that does not exist is an error naming the path.
  auto err = place_text(tmp.path() / "missing" / "x.txt", "x", 0644);
  REQUIRE(err);
  CHECK(describe(err).find("missing") != std::string::npos);
}

TEST_CASE("The harness file is placed whole when many threads need it first at once",
          "[hardware][kernelbench]") {
  kforge::test::temp_dir tmp;
  constexpr int threads = 8;
  constexpr int rounds = 100;
  int failed_rounds = 0;
  std::string first_problem;
  for (int r = 0; r < rounds; ++r) {
    std::filesystem::remove_all(tmp.path() / "kernelbench");
    std::vector<std::string> problems(threads);
    run_together(threads, [&](int i) {
      auto placed = place_harness(tmp.path());
      if (!placed)
        problems[static_cast<std::size_t>(i)] = describe(placed.error());
      else if (read_text(*placed) != std::string{harness_py()})
        problems[static_cast<std::size_t>(i)] = "a partial harness at " + placed->string();
    });
    for (const auto& p : problems) {
      if (!p.empty()) {
        ++failed_rounds;
        if (first_problem.empty())
          first_problem = p;
        break;
      }
    }
  }
  INFO(first_problem);
  CHECK(failed_rounds == 0);
}

TEST_CASE("Concurrent compiles before a prepare each find the whole harness", "[hardware][kernelbench]") {
  kforge::test::temp_dir tmp;
  kernelbench_config c;
  c.python = std::string{KFORGE_SOURCE_DIR} + "/tests/hardware/hostile/kernelbench/forged_result.py";
  c.work_dir = tmp.path();
  c.compile_limits = default_compile_limits();
  c.run_limits = default_run_limits();
  kernelbench_device dev{c};
  task_def task;
  task.id = "kb0_forged";
  task.family = "kb_elementwise";
  task.backend = "kernelbench";
  task.definition_hash = "forged";
  task.reference_source =
      nlohmann::json{{"reference", "{}"}, {"build", R"({"built": true})"}, {"candidate", "{}"}}.dump();
  constexpr int compiles = 6;
  std::vector<std::string> problems(compiles);
  run_together(compiles, [&](int i) {
    auto b = dev.compile(task, "class ModelNew: pass\n", "c" + std::to_string(i));
    if (!b)
      problems[static_cast<std::size_t>(i)] = describe(b.error());
    else if (!b->ok)
      problems[static_cast<std::size_t>(i)] = b->output;
    else
      dev.discard(*b);
  });
  for (const auto& p : problems)
    CHECK(p.empty());
  // One harness file, byte for byte the embedded one, and no temporary file beside it.
  std::vector<std::filesystem::path> placed;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "kernelbench"))
    placed.push_back(e.path());
  REQUIRE(placed.size() == 1);
  CHECK(read_text(placed.front()) == std::string{harness_py()});
}
