// Damaged stores: the file checks before opening (store_file.hpp), the map guard
// (map_guard.hpp), store check and salvage (store_check.hpp).

#include "memory/store_check.hpp"
#include "memory/map_guard.hpp"
#include "memory/store_file.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/damaged_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

using namespace kforge;

namespace {

constexpr int tasks = 3;
constexpr int per_task = 12;

// The sample campaign "c" (3 tasks of 12 candidates), as a compacted snapshot: its file holds
// each record once (a live store may keep stale copies in free pages).
struct sample_store {
  test::temp_store fixture{std::size_t{8} << 20U};
  test::sample_campaign_ids ids;
  sample_store() {
    ids = test::write_sample_campaign(fixture.store(), "c", tasks, per_task);
    // Later commits move the roots of the tables into pages freed before (as a long campaign
    // does), so that the last pages of the file hold records.
    for (int i = 0; i < 6; ++i) {
      auto tx = fixture.store().write();
      REQUIRE(tx);
      memory::campaign_record c;
      c.id = "c";
      c.status = "stopped";
      c.evaluations = i;
      REQUIRE_FALSE(memory::put_campaign(*tx, c));
      REQUIRE_FALSE(tx->commit());
    }
    if (auto err = fixture.store().snapshot(fixture.scratch_path("compact")))
      FAIL(describe(err));
    fixture.close();
  }
  [[nodiscard]] std::filesystem::path copy(const std::string& name) const {
    auto to = fixture.scratch_path(name);
    test::copy_store(fixture.scratch_path("compact"), to);
    return to;
  }
  // A copy of the store as written (not compacted: the tables' roots are not its last pages).
  [[nodiscard]] std::filesystem::path copy_live(const std::string& name) const {
    auto to = fixture.scratch_path(name);
    test::copy_store(fixture.store_path(), to);
    return to;
  }
};

const memory::table_check& table_of(const memory::store_report& r, memory::table t) {
  for (const auto& c : r.tables)
    if (c.t == t)
      return c;
  FAIL("no report for table " << memory::table_name(t));
  return r.tables.front();
}

}  // namespace

TEST_CASE("a damaged, emptied or foreign data.mdb is refused by name before it is mapped, and left as it is",
          "[memory][store_check]") {
  sample_store s;
  SECTION("truncated to half") {
    auto dir = s.copy("half");
    std::filesystem::resize_file(dir / "data.mdb", std::filesystem::file_size(dir / "data.mdb") / 2);
    const auto before = test::fingerprint(dir / "data.mdb");
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK(code_of(opened.error()) == errc::store_corrupt);
    CHECK_THAT(describe(opened.error()), Catch::Contains((dir / "data.mdb").string() + " is truncated") &&
                                             Catch::Contains("its header says") &&
                                             Catch::Contains("kforge store check --store " + dir.string()) &&
                                             Catch::Contains("kforge store salvage --store " + dir.string()));
    CHECK(test::fingerprint(dir / "data.mdb") == before);
  }
  SECTION("zero length: not rewritten as a new store") {
    auto dir = s.copy("zero");
    std::filesystem::resize_file(dir / "data.mdb", 0);
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK_THAT(describe(opened.error()),
               Catch::Contains((dir / "data.mdb").string() + " is empty (0 bytes)"));
    CHECK(std::filesystem::file_size(dir / "data.mdb") == 0);
  }
  SECTION("data.mdb gone beside its lock.mdb") {
    auto dir = s.fixture.scratch_path("gone");
    std::filesystem::create_directories(dir);
    std::ofstream{dir / "lock.mdb"} << "";
    std::filesystem::create_directories(dir / "owners");  // kforge's own files stay behind
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK_THAT(describe(opened.error()), Catch::Contains((dir / "data.mdb").string() + " is missing"));
    CHECK_FALSE(std::filesystem::exists(dir / "data.mdb"));
  }
  SECTION("an LMDB file that is no kforge store") {
    auto dir = s.fixture.scratch_path("foreign");
    test::write_foreign_lmdb(dir);
    const auto before = test::fingerprint(dir / "data.mdb");
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK(code_of(opened.error()) == errc::store_corrupt);
    CHECK_THAT(describe(opened.error()),
               Catch::Contains((dir / "data.mdb").string() + " is not a kforge store"));
    CHECK(test::fingerprint(dir / "data.mdb") == before);
  }
  SECTION("a directory of other files") {
    auto dir = s.fixture.scratch_path("notes");
    std::filesystem::create_directories(dir);
    std::ofstream{dir / "notes.txt"} << "mine";
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK_THAT(describe(opened.error()),
               Catch::Contains("is not a kforge store: it holds files but no data.mdb"));
    CHECK_FALSE(std::filesystem::exists(dir / "data.mdb"));
  }
  SECTION("not an LMDB file") {
    auto dir = s.fixture.scratch_path("text");
    std::filesystem::create_directories(dir);
    std::ofstream{dir / "data.mdb"} << std::string(9000, 'x');
    auto opened = memory::store::open(dir);
    REQUIRE_FALSE(opened);
    CHECK_THAT(describe(opened.error()), Catch::Contains("is not an LMDB data file"));
  }
  SECTION("an empty directory becomes a store, which reopens") {
    auto dir = s.fixture.scratch_path("empty");
    std::filesystem::create_directories(dir);
    REQUIRE(memory::store::open(dir));
    auto again = memory::store::open(dir);
    REQUIRE(again);
    auto tx = again->read();
    REQUIRE(tx);
    CHECK(memory::get_meta(*tx, memory::meta_schema_version));
  }
  SECTION("the sound copy opens and checks clean") {
    auto report = memory::check_store(s.copy("sound"));
    REQUIRE(report);
    CHECK(report->clean());
    CHECK(table_of(*report, memory::table::candidates).read == tasks * per_task);
    CHECK(table_of(*report, memory::table::task_candidates).read == tasks * per_task);
  }
}

TEST_CASE("the map guard turns a SIGBUS of a read past the file's end into false", "[memory][store_check]") {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer's runtime takes a SIGBUS raised inside its own instrumentation and
  // interceptors (the guarded copy is one) before any handler of the program: the guard cannot
  // act there. The ci and ASan builds run this test.
  WARN("skipped: the map guard does not work under ThreadSanitizer (its runtime takes the SIGBUS)");
  return;
#endif
  test::temp_dir dir{"guard"};
  const auto file = dir.path() / "one_page";
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::ofstream{file} << std::string(page, 'p');
  const int fd = ::open(file.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  void* map = ::mmap(nullptr, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(map != MAP_FAILED);
  const auto* bytes = static_cast<const volatile char*>(map);
  char seen = 0;
  CHECK(memory::detail::guarded_read([&] { seen = bytes[page - 1]; }));
  CHECK(seen == 'p');
  // The second page is mapped but not in the file: reading it raises SIGBUS.
  CHECK_FALSE(memory::detail::guarded_read([&] { seen = bytes[page]; }));
  // The guard is disarmed again and works a second time.
  CHECK(memory::detail::armed_map_guard == nullptr);
  CHECK_FALSE(memory::detail::guarded_read([&] { seen = bytes[page + 1]; }));
  ::munmap(map, 2 * page);
}

TEST_CASE("a SIGBUS outside the map guard still ends the process", "[memory][store_check]") {
  test::temp_dir dir{"guard"};
  const auto file = dir.path() / "one_page";
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::ofstream{file} << std::string(page, 'p');
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::alarm(10);  // a handler that kept returning into the fault would hang: SIGALRM fails the test
    // The handler is installed by a first guarded read; the fault after it is not guarded.
    const int fd = ::open(file.c_str(), O_RDONLY);
    void* map = ::mmap(nullptr, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
    const auto* bytes = static_cast<const volatile char*>(map);
    char seen = 0;
    if (!memory::detail::guarded_read([&] { seen = bytes[0]; }))
      ::_exit(3);
    seen = bytes[page];
    ::_exit(seen == 0 ? 0 : 4);  // survived: the handler swallowed a fault it does not own
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  // Killed by SIGBUS (or, under a sanitizer, which handles SIGBUS before kforge did, its exit 1).
  INFO("wait status " << status);
  CHECK(((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) ||
         (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3 &&
          WEXITSTATUS(status) != 4)));
}

TEST_CASE("store check reads a truncated store under the guard and names what is lost",
          "[memory][store_check]") {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer's runtime takes a SIGBUS raised inside its own instrumentation and
  // interceptors (the guarded copy is one) before any handler of the program: the guard cannot
  // act there. The ci and ASan builds run this test.
  WARN("skipped: the map guard does not work under ThreadSanitizer (its runtime takes the SIGBUS)");
  return;
#endif
  sample_store s;
  // Cut to half a compacted copy, whose tables' roots are its last pages: nothing opens, and the
  // report says why.
  {
    auto dir = s.copy("half");
    const auto size = std::filesystem::file_size(dir / "data.mdb");
    std::filesystem::resize_file(dir / "data.mdb", size / 2);
    auto report = memory::check_store(dir);
    REQUIRE(report);
    CHECK_THAT(report->file_problem, Catch::Contains("is truncated"));
    CHECK_FALSE(report->clean());
  }
  // Cut the store as written by pages at its end, the tables open and the records on the lost
  // pages are named.
  const auto size = std::filesystem::file_size(s.copy_live("live") / "data.mdb");
  std::optional<memory::store_report> found;
  std::filesystem::path dir;
  for (std::size_t pages = 1; pages < size / 4096 && !found; ++pages) {
    dir = s.copy_live("short" + std::to_string(pages));
    std::filesystem::resize_file(dir / "data.mdb", size - pages * 4096);
    auto report = memory::check_store(dir);
    REQUIRE(report);
    CHECK_THAT(report->file_problem, Catch::Contains("is truncated"));
    if (report->opened && !table_of(*report, memory::table::candidates).failed.empty())
      found = std::move(*report);
  }
  REQUIRE(found);
  const auto before = test::fingerprint(dir / "data.mdb");
  CHECK(memory::check_store(dir));
  const auto& cands = table_of(*found, memory::table::candidates);
  CHECK(cands.read < tasks * per_task);
  CHECK_FALSE(cands.failed.empty());
  CHECK_THAT(cands.failed.front().reason, Catch::Contains("not in the file"));
  CHECK(test::fingerprint(dir / "data.mdb") == before);
}

TEST_CASE("store check names the record whose bytes were flipped, and the index entry that points at it",
          "[memory][store_check]") {
  sample_store s;
  auto dir = s.copy("flipped");
  const auto marker = test::candidate_marker("c", 1, 5);
  test::flip_bytes(dir / "data.mdb", test::unique_offset(dir / "data.mdb", marker), marker.size());
  auto report = memory::check_store(dir);
  REQUIRE(report);
  CHECK(report->file_problem.empty());
  const auto hash = s.ids.candidates[1 * per_task + 5];
  const auto& cands = table_of(*report, memory::table::candidates);
  REQUIRE(cands.failed.size() == 1);
  CHECK(cands.failed.front().key == hash);
  CHECK_THAT(cands.failed.front().reason, Catch::Contains("decode table=candidates"));
  CHECK(cands.read == tasks * per_task - 1);
  const auto& index = table_of(*report, memory::table::task_candidates);
  REQUIRE(index.failed.size() == 1);
  CHECK_THAT(index.failed.front().reason, Catch::Contains("points at candidate " + hash));
  CHECK(table_of(*report, memory::table::tasks).failed.empty());

  // A command's check before use says the same as one error.
  auto opened = memory::store::open(dir);
  REQUIRE(opened);
  auto tx = opened->read();
  REQUIRE(tx);
  auto err = memory::check_records(*tx);
  REQUIRE(err);
  CHECK_THAT(describe(err), Catch::Contains("is damaged: 2 records do not read") && Catch::Contains(hash) &&
                                Catch::Contains("kforge store salvage --store " + dir.string()));
}

TEST_CASE("salvage copies every record outside a damaged page into a new store that checks clean",
          "[memory][store_check]") {
  sample_store s;
  auto dir = s.copy("damaged");
  const auto file = dir / "data.mdb";
  // Where each candidate is, before the damage.
  const auto sound = test::read_bytes(file);
  // Flip 64 bytes in the middle of the page that holds task 2's candidate 4.
  const std::size_t page = 4096;
  const auto hit_page = test::unique_offset(file, test::candidate_marker("c", 2, 4)) / page;
  test::flip_bytes(file, hit_page * page + page / 2, 64);
  const auto before = test::fingerprint(file);

  const auto out = s.fixture.scratch_path("salvaged");
  auto result = memory::salvage_store(dir, out);
  REQUIRE(result);
  CHECK(result->source.failures() > 0);
  CHECK(test::fingerprint(file) == before);

  auto check = memory::check_store(out);
  REQUIRE(check);
  CHECK(check->clean());
  auto salvaged = memory::store::open(out);
  REQUIRE(salvaged);
  auto tx = salvaged->read();
  REQUIRE(tx);
  REQUIRE(memory::get_campaign(*tx, "c"));
  for (const auto& t : s.ids.tasks)
    CHECK(memory::get_task(*tx, "c", t));
  // Every candidate whose page was not hit is there, with its index entry.
  int kept = 0;
  for (int t = 0; t < tasks; ++t) {
    auto listed = memory::list_candidates(*tx, "c", "task" + std::to_string(t));
    REQUIRE(listed);
    std::set<std::string> in_out;
    for (const auto& c : *listed)
      in_out.insert(c.hash);
    for (int q = 0; q < per_task; ++q) {
      const auto hash = s.ids.candidates[static_cast<std::size_t>(t * per_task + q)];
      const auto at = sound.find(test::candidate_marker("c", t, q));
      REQUIRE(at != std::string::npos);
      if (at / page == hit_page)
        continue;  // on the damaged page: may be lost
      INFO("candidate task " << t << " seq " << q);
      CHECK(in_out.count(hash) == 1);
      ++kept;
    }
  }
  CHECK(kept >= tasks * per_task - 12);

  SECTION("an existing OUT is never overwritten") {
    const auto again = memory::salvage_store(dir, out);
    REQUIRE_FALSE(again);
    CHECK_THAT(describe(again.error()), Catch::Contains("exists and is not an empty directory"));
  }
}
