#include "actors/retriever/ranking.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::memory_item item(const std::string& id, const std::string& kind, const std::string& family, double q1,
                         double q2, const std::string& task = "t0") {
  memory::memory_item m;
  m.id = id;
  m.kind = kind;
  m.family = family;
  m.q1 = q1;
  m.q2 = q2;
  m.source_tasks = {task};
  return m;
}

}  // namespace

TEST_CASE("retrieval keeps the most valuable of the most similar items", "[actors]") {
  std::vector<memory::memory_item> pool = {
      item("s-low", "seed", "softmax", 0.1, 0), item("s-high", "seed", "softmax", 0.9, 0),
      item("s-mid", "seed", "softmax", 0.5, 0), item("o-1", "optimization", "softmax", 0, 0.8),
      item("s-other", "seed", "gemm", 0.3, 0),
  };
  context_query q;
  q.task_id = "t1";
  q.family = "softmax";
  q.stage = "draft";
  q.n = 2;
  q.seed = 7;
  ranking_config cfg;
  cfg.epsilon = 0.0;
  cfg.lambda = 1;  // over-fetch exactly N
  SECTION("similarity first, then Q1") {
    cfg.lambda = 3;
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-mid"});
  }
  SECTION("the over-fetch bounds what values can pick") {
    // lambda*N = 2 most similar softmax seeds by id order: s-high, s-low.
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-low"});
  }
  SECTION("a valuable item of another family is over-fetched when few similar items exist") {
    cfg.lambda = 3;
    pool[4].q1 = 1.0;
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-other", "s-high"});
    cfg.cross_family = false;  // then only insights cross families
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-mid"});
    pool[4].kind = "insight";
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-other", "s-high"});
  }
  SECTION("refine retrieves optimizations by Q2") {
    q.stage = "refine";
    q.n = 1;
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"o-1"});
  }
  SECTION("similarity only ignores values") {
    cfg.lambda = 3;
    cfg.use_values = false;
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-low"});
  }
  SECTION("without cross-task sharing only the task's own items come back") {
    cfg.lambda = 3;
    cfg.cross_task = false;
    CHECK(rank_items(pool, q, cfg).empty());
    q.task_id = "t0";
    CHECK(rank_items(pool, q, cfg).size() == 2);
  }
  SECTION("with memory off nothing comes back") {
    cfg.enabled = false;
    CHECK(rank_items(pool, q, cfg).empty());
  }
}

TEST_CASE("epsilon-greedy retrieval is deterministic for a seed and explores", "[actors]") {
  std::vector<memory::memory_item> pool;
  for (int i = 0; i < 20; ++i)
    pool.push_back(item("s" + std::to_string(i), "seed", "f", i / 20.0, 0));
  context_query q;
  q.family = "f";
  q.stage = "draft";
  q.n = 3;
  ranking_config cfg;
  cfg.epsilon = 0.5;
  cfg.lambda = 10;
  q.seed = 1;
  auto a = test::item_ids(rank_items(pool, q, cfg));
  auto b = test::item_ids(rank_items(pool, q, cfg));
  CHECK(a == b);
  bool explored = false;
  for (uint64_t s = 1; s < 20 && !explored; ++s) {
    q.seed = s;
    auto got = test::item_ids(rank_items(pool, q, cfg));
    explored = got != std::vector<std::string>{"s19", "s18", "s17"};
  }
  CHECK(explored);
}

TEST_CASE("the knowledge base draws by softmax over speedup x confidence, with a use penalty", "[actors]") {
  auto opt = [](const std::string& id, const std::string& state, double gain, int64_t samples) {
    auto m = item(id, "optimization", "softmax", 0, 0);
    m.state = state;
    m.mean_speedup = gain;
    m.samples = samples;
    return m;
  };
  ranking_config cfg;
  cfg.kb_temperature = 0.5;
  cfg.kb_use_penalty = 0.0;
  cfg.kb_confidence_samples = 5;
  context_query q;
  q.task_id = "t1";
  q.family = "softmax";
  q.stage = "refine";
  q.state = "softmax|memory|eff2|roofline";
  q.kb_n = 1;
  auto share = [&](const std::vector<memory::memory_item>& pool, const std::string& id) {
    int hits = 0;
    for (uint64_t s = 0; s < 400; ++s) {
      q.seed = s;
      auto got = choose_kb(pool, q, cfg);
      REQUIRE(got.size() == 1);
      hits += got[0].id == id ? 1 : 0;
    }
    return hits / 400.0;
  };
  SECTION("scores follow predicted speedup times confidence") {
    CHECK(kb_score(opt("x", q.state, 2.0, 5), cfg) == Approx(2.0));
    CHECK(kb_score(opt("x", q.state, 2.0, 1), cfg) == Approx(0.4));  // confidence 1/5
    CHECK(kb_score(opt("x", q.state, 2.0, 0), cfg) == Approx(0.2));  // floor 0.1
    std::vector<memory::memory_item> pool = {opt("good", q.state, 2.0, 5), opt("bad", q.state, 0.5, 5)};
    // exp(2 / 0.5) : exp(0.5 / 0.5) = e^3 : 1, about 95 %.
    CHECK(share(pool, "good") > 0.9);
    CHECK(share(pool, "good") < 0.99);  // but the other still gets drawn
  }
  SECTION("heavy use lowers the odds") {
    std::vector<memory::memory_item> pool = {opt("used", q.state, 1.5, 400), opt("fresh", q.state, 1.2, 5)};
    auto before = share(pool, "used");
    cfg.kb_use_penalty = 0.1;  // 0.1 * log(401) = 0.6 off the heavily used one
    CHECK(kb_score(pool[0], cfg) == Approx(1.5 - 0.1 * std::log(401.0)));
    CHECK(share(pool, "used") < before - 0.2);
  }
  SECTION("entries from the query's state count more than those of other states") {
    std::vector<memory::memory_item> pool = {opt("here", q.state, 1.5, 5),
                                             opt("elsewhere", "softmax|compute|eff1|roofline", 1.5, 5)};
    CHECK(share(pool, "here") > 0.6);
  }
  SECTION("the switches: similarity only is uniform, no cross-task keeps own items, off is empty") {
    std::vector<memory::memory_item> pool = {opt("good", q.state, 3.0, 5), opt("bad", q.state, 0.1, 5)};
    cfg.use_values = false;
    auto s = share(pool, "good");
    CHECK(s > 0.35);
    CHECK(s < 0.65);
    cfg.use_values = true;
    cfg.cross_task = false;
    q.seed = 1;
    CHECK(choose_kb(pool, q, cfg).empty());  // both came from task t0
    cfg.cross_task = true;
    cfg.enabled = false;
    CHECK(choose_kb(pool, q, cfg).empty());
  }
  SECTION("retired entries, other families and untried entries are never drawn") {
    auto retired = opt("r", q.state, 5.0, 5);
    retired.retired = true;
    auto other = opt("o", q.state, 5.0, 5);
    other.family = "gemm";
    auto untried = opt("u", q.state, 5.0, 0);
    q.kb_n = 3;
    auto got = choose_kb({retired, other, untried, opt("ok", q.state, 1.0, 5)}, q, cfg);
    CHECK(test::item_ids(got) == std::vector<std::string>{"ok"});
  }
}

TEST_CASE("a model's context holds only items in words, the offline policy's only knob-derived ones",
          "[actors]") {
  auto knob_seed = item("k-seed", "seed", "reduction", 0.9, 0.5);
  knob_seed.text = "reduction: feasible setting VEC=8 ACC=2";
  auto knob_opt = item("k-opt", "optimization", "reduction", 0.0, 0.9);
  knob_opt.samples = 3;
  knob_opt.mean_speedup = 2.0;
  knob_opt.state = "reduction|memory|eff2|roofline";
  auto words_seed = item("w-seed", "seed", "reduction", 0.2, 0.1);
  words_seed.tags = {"draft", "t0", memory::words_tag};
  auto words_step = item("w-step", "trajectory", "reduction", 0.0, 0.3);
  words_step.tags = {"refine", "t0", memory::words_tag};
  auto words_opt = knob_opt;
  words_opt.id = "w-opt";
  words_opt.tags = {memory::words_tag};
  std::vector<memory::memory_item> pool = {knob_seed, knob_opt, words_seed, words_step, words_opt};
  context_query q;
  q.task_id = "t1";
  q.family = "reduction";
  q.stage = "refine";
  q.state = "reduction|memory|eff2|roofline";
  q.n = 5;
  q.kb_n = 2;
  ranking_config cfg;
  cfg.epsilon = 0.0;
  SECTION("openai") {
    q.policy = "openai";
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"w-opt", "w-step", "w-seed"});
    CHECK(test::item_ids(choose_kb(pool, q, cfg)) == std::vector<std::string>{"w-opt"});
  }
  SECTION("offline") {
    q.policy = "offline";
    CHECK(test::item_ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"k-opt", "k-seed"});
    CHECK(test::item_ids(choose_kb(pool, q, cfg)) == std::vector<std::string>{"k-opt"});
  }
}

TEST_CASE("an insight consolidated across families ranks between the same family and another", "[actors]") {
  context_query q;
  q.family = "softmax";
  q.stage = "refine";
  auto same = item("a", "insight", "softmax", 0, 0);
  auto across = item("b", "insight", "", 0, 0);
  auto other = item("c", "insight", "gemm", 0, 0);
  CHECK(similarity(same, q) > similarity(across, q));
  CHECK(similarity(across, q) > similarity(other, q));
}
