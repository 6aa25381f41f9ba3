#include "actors/curator/curator_actor.hpp"
#include "actors/curator/technique_rules.hpp"
#include "actors/task/technique_catalogue.hpp"
#include "actors/task/technique_choice.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

const char* const two_techniques = R"toml(# a small catalogue
[[technique]]
id = "simd"
name = "SIMD vectorization (AVX2)"
summary = "Use vectors."
applies_to = ["memory", "compute"]
risks = "Tails."

[[technique]]
id = "unroll"
name = "Loop unrolling"
summary = "Unroll."
applies_to = ["compute"]
families = ["gemm"]
)toml";

technique_catalogue small_catalogue() {
  auto c = parse_technique_catalogue(two_techniques, "small.toml", "cpu");
  REQUIRE(c);
  return *c;
}

// A catalogue of n techniques t0..t(n-1) that apply to every memory-bound state.
technique_catalogue catalogue_of(int n) {
  technique_catalogue c;
  c.backend = "cpu";
  for (int i = 0; i < n; ++i)
    c.techniques.push_back(
        {"t" + std::to_string(i), "T" + std::to_string(i), "s", {"memory"}, {"*"}, "", false});
  return c;
}

memory::memory_item entry(const std::string& technique_id, const std::string& state, int64_t samples,
                          double mean) {
  memory::memory_item e;
  e.id = technique_entry_id("cpu", "softmax", state, technique_id);
  e.kind = "optimization";
  e.family = "softmax";
  e.state = state;
  e.tags = {"refine", "technique"};
  e.payload = R"({"technique":")" + technique_id + R"(","backend":"cpu"})";
  e.samples = samples;
  e.mean_speedup = mean;
  e.feasible_samples = samples;
  e.visits2 = samples;
  return e;
}

const std::string state = "softmax|memory|eff2|roofline";

std::map<std::string, int> draw_counts(const technique_catalogue& c,
                                       const std::vector<memory::memory_item>& kb, technique_config cfg,
                                       int draws) {
  std::map<std::string, int> counts;
  for (int s = 0; s < draws; ++s)
    counts[draw_technique(c, kb, "softmax", state, static_cast<uint64_t>(s) * 7919 + 1, cfg).id] += 1;
  return counts;
}

}  // namespace

TEST_CASE("the shipped technique catalogues load", "[actors][technique]") {
  for (const char* backend : {"cpu", "cuda"}) {
    auto path =
        std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/techniques" / (std::string{backend} + ".toml");
    auto c = load_technique_catalogue(path, backend);
    INFO(backend << ": " << (c ? std::string{} : describe(c.error())));
    REQUIRE(c);
    CHECK(c->backend == backend);
    CHECK(c->techniques.size() >= 10);
    for (const auto& t : c->techniques) {
      CHECK_FALSE(t.name.empty());
      CHECK_FALSE(t.applies_to.empty());
    }
  }
}

TEST_CASE("a technique is found by id or name, whatever the case", "[actors][technique]") {
  auto c = small_catalogue();
  REQUIRE(c.techniques.size() == 2);
  CHECK(c.techniques[0].families == std::vector<std::string>{"*"});
  CHECK(c.techniques[1].families == std::vector<std::string>{"gemm"});
  REQUIRE(c.find("simd") != nullptr);
  CHECK(c.find("SIMD Vectorization")->id == "simd");         // name without its parenthesised part
  CHECK(c.find("simd vectorization (avx2)")->id == "simd");  // the whole name
  CHECK(c.find("LOOP-UNROLLING")->id == "unroll");
  CHECK(c.find("loop tiling") == nullptr);
  CHECK(technique_catalogue::applies(c.techniques[1], "gemm", "compute"));
  CHECK_FALSE(technique_catalogue::applies(c.techniques[1], "softmax", "compute"));
  CHECK_FALSE(technique_catalogue::applies(c.techniques[0], "softmax", "latency"));
}

TEST_CASE("a malformed technique catalogue is an error naming file and line", "[actors][technique]") {
  struct bad {
    const char* text;
    const char* says;
  };
  auto base =
      std::string{"[[technique]]\nid = \"a\"\nname = \"A\"\nsummary = \"s\"\napplies_to = [\"memory\"]\n"};
  for (const auto& b : {
           bad{"[[technique]]\nid = \"a\"\nname = \"A\"\nsummary = \"s\"\napplies_to = [\"disk\"]\n",
               "small.toml:5: technique 'a': bound 'disk'"},
           bad{"[[technique]]\nname = \"A\"\nsummary = \"s\"\napplies_to = [\"memory\"]\n", "needs an id"},
           bad{"[[technique]]\nid = \"a\"\nname = \"A\"\napplies_to = [\"memory\"]\n", "needs a summary"},
           bad{"[[technique]]\nid = \"Big Id\"\nname = \"A\"\nsummary = \"s\"\napplies_to = [\"memory\"]\n",
               "small.toml:2: id 'Big Id' must be snake_case"},
           bad{"[[technique]]\nid = \"a\"\nname = \"A\"\nsummary = \"s\"\napplies_to = [\"memory\"]\ncost = "
               "1\n",
               "small.toml:6: unknown key 'cost'"},
           bad{"title = \"x\"\n", "unknown key 'title'"},
           bad{"# nothing\n", "no [[technique]] entries"},
           bad{"[[technique]]\nid = \"a\"\nname = 3\n", "small.toml:3: key 'name' must be a string"},
       }) {
    auto c = parse_technique_catalogue(b.text, "small.toml", "cpu");
    INFO(b.text);
    REQUIRE_FALSE(c);
    CHECK(code_of(c.error()) == errc::bad_config);
    CHECK_THAT(describe(c.error()), Catch::Contains(b.says));
  }
  auto dup = parse_technique_catalogue(base + base, "small.toml", "cpu");
  REQUIRE_FALSE(dup);
  CHECK_THAT(describe(dup.error()), Catch::Contains("small.toml:7: duplicate technique id 'a'"));
  auto missing = load_technique_catalogue("/nonexistent/cpu.toml", "cpu");
  REQUIRE_FALSE(missing);
  CHECK_THAT(describe(missing.error()), Catch::Contains("/nonexistent/cpu.toml"));
}

TEST_CASE("the draw gives untried techniques that apply a prior and only those", "[actors][technique]") {
  auto c = small_catalogue();
  technique_config cfg;
  // softmax, memory-bound: only simd applies (unroll is compute-only and for gemm).
  auto counts = draw_counts(c, {}, cfg, 50);
  CHECK(counts.size() == 1);
  CHECK(counts["simd"] == 50);
  auto pick = draw_technique(c, {}, "softmax", state, 3, cfg);
  CHECK(pick.samples == 0);
  CHECK(pick.predicted == Approx(cfg.prior_speedup));
  CHECK(pick.name == "SIMD vectorization (AVX2)");
  CHECK(pick.risks == "Tails.");
  CHECK(pick.entry_id == technique_entry_id("cpu", "softmax", state, "simd"));
  // Nothing applies to a latency-bound softmax.
  CHECK(draw_technique(c, {}, "softmax", "softmax|latency|eff0|roofline", 3, cfg).id.empty());
  // Evidence makes a technique drawable where the catalogue would not offer it.
  auto measured = draw_technique(c, {entry("unroll", state, 3, 1.5)}, "softmax", state, 3, cfg);
  CHECK((measured.id == "unroll" || measured.id == "simd"));
  auto unroll_counts = draw_counts(c, {entry("unroll", state, 3, 1.5)}, cfg, 50);
  CHECK(unroll_counts["unroll"] > 0);
}

TEST_CASE("the draw favours measured winners and avoids measured losers", "[actors][technique]") {
  auto c = catalogue_of(4);
  technique_config cfg;
  std::vector<memory::memory_item> kb = {entry("t0", state, 4, 1.6), entry("t1", state, 4, 0.2)};
  auto counts = draw_counts(c, kb, cfg, 400);
  INFO("t0 " << counts["t0"] << " t1 " << counts["t1"] << " t2 " << counts["t2"] << " t3 " << counts["t3"]);
  CHECK(counts["t0"] > counts["t2"]);  // measured 1.6x beats the untried prior of 1.0
  CHECK(counts["t2"] > counts["t1"]);  // which beats a measured 0.2x
  CHECK(counts["t3"] > 0);             // untried ones are still tried
  // Top-k: with k = 1 the best predicted speedup is always drawn.
  cfg.top_k = 1;
  CHECK(draw_counts(c, kb, cfg, 50)["t0"] == 50);
  // Evidence of another state of the same bound counts, weighted.
  cfg.top_k = 4;
  auto near = draw_counts(c, {entry("t3", "softmax|memory|eff1|roofline", 6, 2.0)}, cfg, 400);
  CHECK(near["t3"] > near["t0"]);
  // A technique whose entry for this state is retired is left out.
  auto retired = entry("t0", state, 4, 1.6);
  retired.retired = true;
  CHECK(draw_counts(c, {retired}, cfg, 100).count("t0") == 0);
  // Another backend's evidence is ignored.
  auto other = entry("t1", state, 8, 0.0);
  other.payload = R"({"technique":"t1","backend":"cuda"})";
  auto ignored = draw_counts(c, {other}, cfg, 400);
  CHECK(ignored["t1"] > 0);
}

TEST_CASE("the draw is deterministic for a seed", "[actors][technique]") {
  auto c = catalogue_of(6);
  technique_config cfg;
  std::vector<memory::memory_item> kb = {entry("t0", state, 2, 1.2), entry("t4", state, 1, 1.1)};
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    auto a = draw_technique(c, kb, "softmax", state, seed, cfg);
    auto b = draw_technique(c, kb, "softmax", state, seed, cfg);
    CHECK(a.id == b.id);
    seen.insert(a.id);
  }
  CHECK(seen.size() > 1);  // and the seed matters
}

TEST_CASE("named techniques resolve to ids and unknown ones join as learned", "[actors][technique]") {
  auto c = small_catalogue();
  std::vector<technique> fresh;
  auto ids = resolve_techniques(c, "SIMD vectorization, `loop unrolling`; Warp-level tiling, simd, none",
                                "Tiled it.", "softmax", "memory", fresh);
  CHECK(ids == std::vector<std::string>{"simd", "unroll", "warp_level_tiling"});
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].id == "warp_level_tiling");
  CHECK(fresh[0].name == "Warp-level tiling");
  CHECK(fresh[0].summary == "Tiled it.");
  CHECK(fresh[0].applies_to == std::vector<std::string>{"memory"});
  CHECK(fresh[0].families == std::vector<std::string>{"softmax"});
  // The learned item round-trips into a catalogue entry of its backend.
  auto item = learned_technique_item(fresh[0], "cpu", "softmax", "task_a", 5);
  CHECK(item.kind == "technique");
  technique back;
  std::string backend;
  REQUIRE(learned_technique(item, back, backend));
  CHECK(backend == "cpu");
  CHECK(back.id == "warp_level_tiling");
  CHECK(back.learned);
  CHECK(learned_technique_item(fresh[0], "cpu", "gemm", "task_b", 9).id == item.id);  // one per backend+id
  c.techniques.push_back(back);
  std::vector<technique> again;
  CHECK(resolve_techniques(c, "warp level tiling", "", "softmax", "memory", again) ==
        std::vector<std::string>{"warp_level_tiling"});
  CHECK(again.empty());
}

TEST_CASE("KernelBench families draw the cuda catalogue's techniques of their operator",
          "[actors][technique]") {
  technique t;
  t.id = "register_tiling";
  t.applies_to = {"compute"};
  t.families = {"gemm", "conv2d", "matmul"};
  CHECK(technique_catalogue::applies(t, "kb_matmul", "compute"));
  CHECK(technique_catalogue::applies(t, "kb_fused_matmul", "compute"));
  CHECK(technique_catalogue::applies(t, "kb_fused_conv", "compute"));
  CHECK_FALSE(technique_catalogue::applies(t, "kb_network", "compute"));
  CHECK_FALSE(technique_catalogue::applies(t, "kb_softmax", "compute"));
  CHECK_FALSE(technique_catalogue::applies(t, "kb_matmul", "memory"));
  t.families = {"layernorm"};
  CHECK(technique_catalogue::applies(t, "kb_norm", "compute"));
}
