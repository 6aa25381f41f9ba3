#include "actors/curator/insight_index.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <random>

using namespace kforge;
using namespace kforge::actors;

namespace {

// A random item of every kind consolidation reads: knob trajectory steps and seeds, a model's
// steps and drafts in words (techniques repeated, failed gates), others it only retires.
memory::memory_item random_item(std::mt19937_64& rng, const std::string& id) {
  static const std::vector<std::string> families = {"gemm", "softmax", "row_sum"};
  static const std::vector<std::string> techniques = {"simd", "unroll, simd", "tiling", "none", "simd, simd"};
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  memory::memory_item m;
  m.id = id;
  m.family = families[pick(families.size())];
  m.source_tasks = {"t" + std::to_string(pick(6))};
  m.updated_ms = static_cast<int64_t>(pick(5));
  m.visits2 = static_cast<int64_t>(pick(12));
  m.q2 = pick(3) == 0 ? -0.9 : 0.2;
  double effect = 0.5 + static_cast<double>(pick(8)) / 4.0;
  switch (pick(6)) {
    case 0:
      m.kind = "trajectory";
      m.payload = nlohmann::json{
          {"changes", {{{"knob", "VEC"}, {"value", pick(3)}}}},
          {"speedup_vs_parent",
           effect}}.dump();
      break;
    case 1:
      m.kind = "seed";
      m.payload = nlohmann::json{{"knobs", {{"VEC", pick(3)}, {"ACC", pick(2)}}}, {"speedup", effect}}.dump();
      break;
    case 2:
    case 3:
      m.kind = pick(2) ? "trajectory" : "seed";
      m.tags = {memory::words_tag};
      m.payload = nlohmann::json{{"technique", techniques[pick(techniques.size())]},
                                 {"feasible", pick(3) != 0},
                                 {"speedup_vs_parent", effect},
                                 {"speedup_vs_ref", effect * 2},
                                 {"failed_gate", pick(2) ? "correctness" : ""},
                                 {"optimization", "statement " + std::to_string(pick(4))}}
                      .dump();
      break;
    case 4:
      m.kind = "optimization";
      m.payload = "{}";
      break;
    default:
      m.kind = "trajectory";
      m.payload = "not json";
  }
  m.retired = pick(15) == 0;
  return m;
}

bool same_insight(const memory::memory_item& a, const memory::memory_item& b) {
  return a.id == b.id && a.text == b.text && a.payload == b.payload && a.samples == b.samples &&
         a.source_tasks == b.source_tasks && a.family == b.family && a.q1 == b.q1 && a.q2 == b.q2;
}

std::vector<memory::memory_item> values_of(const std::map<std::string, memory::memory_item>& m) {
  std::vector<memory::memory_item> out;
  for (const auto& [id, item] : m)
    out.push_back(item);
  return out;
}

}  // namespace

TEST_CASE("a fresh insight index consolidates like a full scan", "[actors][consolidation]") {
  consolidation_config cfg;
  cfg.min_evidence = 2;
  std::mt19937_64 rng{4};
  std::vector<memory::memory_item> items;
  for (int i = 0; i < 300; ++i)
    items.push_back(random_item(rng, "i" + std::to_string(1000 + i)));
  insight_index index{cfg};
  for (const auto& item : items)
    index.update(item);
  auto full = consolidate(items, cfg, 9);
  auto got = index.changes(9);
  REQUIRE(!full.insights.empty());
  REQUIRE(!full.retire.empty());
  CHECK(got.retire == full.retire);
  REQUIRE(got.insights.size() == full.insights.size());
  for (size_t i = 0; i < full.insights.size(); ++i)
    CHECK(same_insight(got.insights[i], full.insights[i]));
}

TEST_CASE("passes of the insight index miss nothing a full scan would change", "[actors][consolidation]") {
  // The curator's loop: commits change items, a pass writes what changed, retirements and
  // insights come back as items. Each pass must bring every insight a full scan would write.
  consolidation_config cfg;
  cfg.min_evidence = 2;
  std::mt19937_64 rng{21};
  std::map<std::string, memory::memory_item> memory;  // the store
  insight_index index{cfg};
  int64_t passes_with_work = 0;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 40; ++i) {
      auto id = "i" + std::to_string(1000 + rng() % 400);  // new items and newer copies of old ones
      auto item = random_item(rng, id);
      memory[id] = item;
      index.update(item);
    }
    auto full = consolidate(values_of(memory), cfg, round);
    auto got = index.changes(round);
    INFO("round " << round);
    CHECK(got.retire == full.retire);
    std::map<std::string, const memory::memory_item*> offered;
    for (const auto& ins : got.insights)
      offered[ins.id] = &ins;
    for (const auto& want : full.insights) {
      auto stored = memory.find(want.id);
      bool unchanged = stored != memory.end() && stored->second.text == want.text &&
                       stored->second.samples == want.samples;
      if (unchanged)
        continue;
      auto it = offered.find(want.id);
      REQUIRE(it != offered.end());
      CHECK(same_insight(*it->second, want));
    }
    // Write the pass back, as the curator does, and tell the index.
    passes_with_work += got.insights.empty() && got.retire.empty() ? 0 : 1;
    for (const auto& ins : got.insights)
      memory[ins.id] = ins;
    for (const auto& id : got.retire)
      memory[id].retired = true;
    index.clear_changes();
    for (const auto& ins : got.insights)
      index.update(memory[ins.id]);
    for (const auto& id : got.retire)
      index.update(memory[id]);
  }
  CHECK(passes_with_work > 6);
}

TEST_CASE("a pass of the insight index rebuilds only what changed", "[actors][consolidation]") {
  consolidation_config cfg;
  cfg.min_evidence = 2;
  std::mt19937_64 rng{8};
  insight_index index{cfg};
  for (int i = 0; i < 500; ++i)
    index.update(random_item(rng, "i" + std::to_string(i)));
  auto first = index.changes(1);
  REQUIRE(first.insights.size() > 3);
  index.clear_changes();
  CHECK(index.changes(2).insights.empty());
  CHECK(index.changes(2).retire.empty());
  // One knob step more: only its rule's insight comes back.
  memory::memory_item m;
  m.id = "new";
  m.kind = "trajectory";
  m.family = "gemm";
  m.source_tasks = {"t9"};
  m.payload =
      nlohmann::json{{"changes", {{{"knob", "VEC"}, {"value", 1}}}}, {"speedup_vs_parent", 3.0}}.dump();
  index.update(m);
  auto next = index.changes(3);
  REQUIRE(next.insights.size() == 1);
  CHECK(next.insights[0].text.find("gemm: set VEC=1") == 0);
}
