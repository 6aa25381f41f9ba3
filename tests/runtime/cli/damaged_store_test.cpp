// Every command on a damaged copy of a store: a named error, exit 5, no SIGBUS, and the file as it
// was; kforge store check and kforge store salvage.

#include "tests/support/damaged_store.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace kforge;

namespace {

// A store with campaign "c" (2 tasks of 8 candidates) written in several commits, and a
// compacted snapshot of it (whose file holds each record once).
struct campaign_store {
  test::temp_store fixture{std::size_t{8} << 20U};
  test::sample_campaign_ids ids;
  campaign_store() {
    ids = test::write_sample_campaign(fixture.store(), "c", 2, 8);
    for (int i = 0; i < 4; ++i) {
      auto tx = fixture.store().write();
      REQUIRE(tx);
      memory::campaign_record c;
      c.id = "c";
      c.status = "stopped";
      c.config_text = "[campaign]\nname = \"c\"\n";
      c.evaluations = i;
      REQUIRE_FALSE(memory::put_campaign(*tx, c));
      REQUIRE_FALSE(tx->commit());
    }
    if (auto err = fixture.store().snapshot(fixture.scratch_path("compact")))
      FAIL(describe(err));
    fixture.close();
  }
};

// The commands that read a store, each with its arguments for the store `dir`.
std::vector<std::vector<std::string>> commands(const std::filesystem::path& dir, const std::string& config,
                                               const std::string& hash,
                                               const std::filesystem::path& scratch) {
  const auto d = dir.string();
  return {
      {"status", "--store", d},
      {"status", "--store", d, "--json"},
      {"export", "--store", d},
      {"resume", "--store", d, "--no-progress"},
      {"snapshot", (scratch / "snap").string(), "--store", d},
      {"show", hash.substr(0, 12), "--store", d},
      {"best", "--store", d, "--out", (scratch / "best").string()},
      {"memory", "inspect", "--store", d},
      {"llm", "calls", "--store", d},
      {"run", config, "--store", d, "--no-progress"},
      {"daemon", "--config", config, "--store", d, "--port", "0"},
      {"store", "check", "--store", d},
  };
}

}  // namespace

TEST_CASE(
    "every command on a truncated, emptied, flipped or foreign store names it, exits 5 and leaves it as it "
    "was",
    "[runtime][cli][store]") {
  campaign_store s;
  const auto config = s.fixture.scratch_path("c.toml");
  {
    std::ofstream f{config};
    f << "[campaign]\nname = \"c\"\ntasks = [\"" << KFORGE_SOURCE_DIR
      << "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[policy]\nkind = \"offline\"\n"
         "[machine]\nmeasure = false\n";
  }
  const auto hash = s.ids.candidates[3];
  struct damage {
    const char* name;
    const char* says;  // what every command's message holds
    bool recoverable;  // whether the message points at store check / salvage
  };
  for (const damage& d :
       {damage{"half", " is truncated: ", true}, damage{"zero", " is empty (0 bytes)", true},
        damage{"flipped", " is damaged", true}, damage{"foreign", " is not a kforge store", false}}) {
    const auto dir = s.fixture.scratch_path(d.name);
    const std::string name = d.name;
    if (name == "half") {
      test::copy_store(s.fixture.store_path(), dir);
      std::filesystem::resize_file(dir / "data.mdb", std::filesystem::file_size(dir / "data.mdb") / 2);
    } else if (name == "zero") {
      test::copy_store(s.fixture.store_path(), dir);
      std::filesystem::resize_file(dir / "data.mdb", 0);
    } else if (name == "flipped") {
      test::copy_store(s.fixture.scratch_path("compact"), dir);
      const auto marker = test::candidate_marker("c", 0, 3);
      test::flip_bytes(dir / "data.mdb", test::unique_offset(dir / "data.mdb", marker), marker.size());
    } else {
      test::write_foreign_lmdb(dir);
    }
    const auto before = test::fingerprint(dir / "data.mdb");
    const auto scratch = s.fixture.scratch_path(name + "-out");
    for (auto args : commands(dir, config.string(), hash, scratch)) {
      std::string shown;
      for (const auto& a : args)
        shown += a + " ";
      INFO(name << ": kforge " << shown);
      args.insert(args.begin(), KFORGE_BINARY);
      std::string out;
      const int rc = test::run_to_end(args, out);
      INFO(out);
      CHECK(rc == 5);
      CHECK_THAT(out, Catch::Contains((dir / "data.mdb").string()) && Catch::Contains(d.says));
      if (d.recoverable)
        CHECK_THAT(out, Catch::Contains("kforge store salvage --store " + dir.string()));
    }
    CHECK(test::fingerprint(dir / "data.mdb") == before);
    CHECK_FALSE(std::filesystem::exists(scratch / "snap" / "data.mdb"));
  }
}

TEST_CASE(
    "kforge store check lists the damaged records and store salvage copies the rest into a store that works",
    "[runtime][cli][store]") {
  campaign_store s;
  const auto dir = s.fixture.scratch_path("flipped");
  test::copy_store(s.fixture.scratch_path("compact"), dir);
  const auto marker = test::candidate_marker("c", 1, 2);
  test::flip_bytes(dir / "data.mdb", test::unique_offset(dir / "data.mdb", marker), marker.size());
  const auto hash = s.ids.candidates[8 + 2];
  std::string out;

  REQUIRE(test::run_to_end({KFORGE_BINARY, "store", "check", "--store", dir.string(), "--json"}, out) == 5);
  const auto report = nlohmann::json::parse(out.substr(out.find('{')));
  CHECK(report["clean"] == false);
  for (const auto& t : report["tables"]) {
    INFO(t.dump());
    if (t["table"] == "candidates") {
      CHECK(t["read"] == 15);
      REQUIRE(t["failed"].size() == 1);
      CHECK(t["failed"][0]["key"] == hash);
    } else if (t["table"] == "task_candidates") {
      REQUIRE(t["failed"].size() == 1);
      CHECK_THAT(t["failed"][0]["reason"].get<std::string>(), Catch::Contains("points at candidate " + hash));
    } else {
      CHECK(t["failed"].empty());
    }
  }

  const auto salvaged = s.fixture.scratch_path("salvaged");
  REQUIRE(test::run_to_end({KFORGE_BINARY, "store", "salvage", "--store", dir.string(), salvaged.string()},
                           out) == 0);
  CHECK_THAT(out, Catch::Contains("candidates " + hash + ": decode table=candidates") &&
                      Catch::Contains("; skipped 2 (listed above)") && Catch::Contains(" checks clean"));
  CHECK(test::run_to_end({KFORGE_BINARY, "store", "check", "--store", salvaged.string()}, out) == 0);
  CHECK_THAT(out, Catch::Contains("is sound"));
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", salvaged.string()}, out) == 0);
  CHECK(test::run_to_end(
            {KFORGE_BINARY, "show", s.ids.candidates[0].substr(0, 12), "--store", salvaged.string()}, out) ==
        0);
  CHECK(test::run_to_end({KFORGE_BINARY, "export", "--sources", "--store", salvaged.string()}, out) == 0);
  CHECK_THAT(out, Catch::Contains(test::candidate_marker("c", 0, 0)) &&
                      Catch::Contains(test::candidate_marker("c", 1, 7)) &&
                      !Catch::Contains(test::candidate_marker("c", 1, 2)));

  // An existing OUT is refused and left alone.
  const auto kept = test::fingerprint(salvaged / "data.mdb");
  CHECK(test::run_to_end({KFORGE_BINARY, "store", "salvage", "--store", dir.string(), salvaged.string()},
                         out) == 2);
  CHECK_THAT(out, Catch::Contains("exists and is not an empty directory; salvage never overwrites"));
  CHECK(test::fingerprint(salvaged / "data.mdb") == kept);
}
