// The CPU device's reference in two stages (build on a compile worker, timed run on the run
// stage) and its cache bytes: a device in another process (another work directory) restores the
// reference from them and judges candidates against it without running the reference.

#include "hardware/native/cpu_device.hpp"
#include "hardware/tasks/task_loader.hpp"

#include "tests/support/task_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

cpu_backend_config cache_config(const std::filesystem::path& work_dir) {
  cpu_backend_config config;
  config.work_dir = work_dir;
  config.min_runs = 10;
  config.max_runs = 40;
  config.target_ms = 5;
  config.flush_kib = 256;
  config.gate_preprocess = false;
  config.run_limits.wall_ms = 10'000;
  return config;
}

std::string cache_kernel(const std::string& body) {
  return "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n" + body + "\n}\n";
}

verdict judge(cpu_device& dev, const task_def& task, const std::string& source, const std::string& id) {
  auto built = dev.compile(task, source, id);
  REQUIRE(built);
  auto v = dev.run(task, *built);
  dev.discard(*built);
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

}  // namespace

TEST_CASE("A reference restored from its cache bytes judges candidates like the one that ran", "[hardware]") {
  auto task = test::add_task();
  test::temp_dir first_work{"refcache-a"};
  cpu_device first{cache_config(first_work.path())};
  auto built = first.build_reference(task, {});
  REQUIRE(built);
  CHECK_FALSE(built->restored);
  REQUIRE(built->program.ok);
  auto ran = first.run_reference(task, *built);
  if (!ran)
    FAIL(describe(ran.error()));
  REQUIRE_FALSE(ran->cache.empty());
  CHECK_FALSE(std::filesystem::exists(built->program.binary));  // the run removed the program

  // Another process: a fresh work directory, nothing built, nothing run.
  test::temp_dir second_work{"refcache-b"};
  cpu_device second{cache_config(second_work.path())};
  auto restored = second.build_reference(task, ran->cache);
  REQUIRE(restored);
  CHECK(restored->restored);
  CHECK(restored->note.empty());
  CHECK(restored->program.binary.empty());  // no reference program was built
  CHECK(restored->timing.median_ns == ran->timing.median_ns);
  CHECK(restored->timing.count == ran->timing.count);

  auto good = judge(second, task, task.reference_source, "same");
  CHECK(good.feasible);
  CHECK(good.reference_ns == ran->timing.median_ns);
  // A kernel that is wrong on every seed fails against the restored outputs.
  auto wrong =
      judge(second, task, cache_kernel("  for (int i = 0; i < rows * cols; ++i) c[i] = a[i];"), "wrong");
  CHECK_FALSE(wrong.feasible);
  CHECK(wrong.failed_gate == gate_correctness);

  SECTION("bytes of another definition, cut short or of another seed count are not restored") {
    auto changed = task;
    changed.reference_hash = "another";
    cpu_device third{cache_config(second_work.path())};
    auto stale = third.build_reference(changed, ran->cache);
    REQUIRE(stale);
    CHECK_FALSE(stale->restored);
    CHECK_THAT(stale->note, Catch::Contains("another definition"));
    CHECK(stale->program.ok);  // built instead
    third.discard(stale->program);

    auto cut = ran->cache.substr(0, ran->cache.size() - 7);
    auto partial = third.build_reference(task, cut);
    REQUIRE(partial);
    CHECK_FALSE(partial->restored);
    CHECK_THAT(partial->note, Catch::Contains("cut short"));
    third.discard(partial->program);

    // Outputs of other inputs (a kforge whose input generator differs): the inputs' hash, the
    // header's third line, no longer matches what this kforge generates.
    auto header = std::string{"kforge cpu reference 1\n"}.size() + 8;
    auto hash_at = ran->cache.find('\n', ran->cache.find('\n', header) + 1) + 1;
    auto other_inputs = ran->cache;
    other_inputs.replace(hash_at, 64, std::string(64, '0'));
    auto foreign = third.build_reference(task, other_inputs);
    REQUIRE(foreign);
    CHECK_FALSE(foreign->restored);
    CHECK_THAT(foreign->note, Catch::Contains("other inputs"));
    third.discard(foreign->program);

    auto config = cache_config(second_work.path());
    config.seeds = 4;
    cpu_backend fewer{config};
    auto other = fewer.restore_reference(task, ran->cache);
    REQUIRE_FALSE(other);
    CHECK(code_of(other.error()) == errc::bad_request);
    CHECK_THAT(describe(other.error()), Catch::Contains("seeds"));
  }
}

TEST_CASE("A reference compile past its wall clock is a transient failure, a compile error is not",
          "[hardware]") {
  auto task = test::add_task();
  test::temp_dir work{"refcache-timeout"};
  SECTION("timed out") {
    auto config = cache_config(work.path());
    config.compile_limits.wall_ms = 1;
    cpu_device dev{config};
    auto built = dev.build_reference(task, {});
    REQUIRE_FALSE(built);
    CHECK(code_of(built.error()) == errc::timed_out);
    CHECK(is_transient(code_of(built.error())));
  }
  SECTION("does not compile") {
    task.reference_source = "void add_rows( {";
    cpu_device dev{cache_config(work.path())};
    auto built = dev.build_reference(task, {});
    REQUIRE_FALSE(built);
    CHECK(code_of(built.error()) == errc::compile_failed);
    CHECK_FALSE(is_transient(code_of(built.error())));
  }
}

TEST_CASE("References beyond the memory budget wait in files and still judge their candidates",
          "[hardware]") {
  auto first_task = test::add_task();
  auto second_task = first_task;
  second_task.id = "add_4x250_again";
  test::temp_dir work{"refmemory"};
  auto config = cache_config(work.path());
  config.reference_memory_bytes = 1;  // room for the newest reference only
  cpu_device dev{config};
  for (const auto* task : {&first_task, &second_task}) {
    auto built = dev.build_reference(*task, {});
    REQUIRE(built);
    auto ran = dev.run_reference(*task, *built);
    if (!ran)
      FAIL(describe(ran.error()));
  }
  auto held = dev.references_in_memory();
  CHECK(held.first == 1);  // the first was dropped once the second was prepared
  CHECK(held.second > 1);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(work.path() / "tasks"))
    if (e.path().filename().string().rfind("reference-", 0) == 0)
      files.push_back(e.path());
  REQUIRE(files.size() == 2);

  // The first task's candidates are judged against its reference read back from its file.
  auto good = judge(dev, first_task, first_task.reference_source, "good");
  CHECK(good.feasible);
  auto wrong = judge(dev, first_task,
                     cache_kernel("for (int i = 0; i < rows * cols; ++i) c[i] = a[i] - b[i];"), "wrong");
  CHECK_FALSE(wrong.feasible);
  CHECK(wrong.failed_gate == gate_correctness);
  CHECK(dev.references_in_memory().first == 1);  // read back, and the second dropped in turn

  // A file that no longer restores is "not prepared", never a verdict against garbage.
  for (const auto& f : files)
    std::filesystem::resize_file(f, 100);
  auto built = dev.compile(second_task, second_task.reference_source, "after");
  REQUIRE(built);
  auto v = dev.run(second_task, *built);
  dev.discard(*built);
  REQUIRE_FALSE(v);
  CHECK(code_of(v.error()) == errc::not_found);
}
