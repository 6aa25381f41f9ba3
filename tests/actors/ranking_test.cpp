#include "actors/retriever/ranking.hpp"

#include <catch2/catch.hpp>

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

std::vector<std::string> ids(const std::vector<memory::memory_item>& items) {
  std::vector<std::string> out;
  for (const auto& i : items)
    out.push_back(i.id);
  return out;
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
    CHECK(ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-mid"});
  }
  SECTION("the over-fetch bounds what values can pick") {
    // lambda*N = 2 most similar softmax seeds by id order: s-high, s-low.
    CHECK(ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-low"});
  }
  SECTION("a valuable item of another family is over-fetched when few similar ones exist") {
    cfg.lambda = 3;
    pool[4].q1 = 1.0;
    CHECK(ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-other", "s-high"});
  }
  SECTION("refine retrieves optimizations by Q2") {
    q.stage = "refine";
    q.n = 1;
    CHECK(ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"o-1"});
  }
  SECTION("similarity only ignores values") {
    cfg.lambda = 3;
    cfg.use_values = false;
    CHECK(ids(rank_items(pool, q, cfg)) == std::vector<std::string>{"s-high", "s-low"});
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
  auto a = ids(rank_items(pool, q, cfg));
  auto b = ids(rank_items(pool, q, cfg));
  CHECK(a == b);
  bool explored = false;
  for (uint64_t s = 1; s < 20 && !explored; ++s) {
    q.seed = s;
    auto got = ids(rank_items(pool, q, cfg));
    explored = got != std::vector<std::string>{"s19", "s18", "s17"};
  }
  CHECK(explored);
}
