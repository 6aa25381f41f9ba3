#include "actors/retriever/memory_index.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

using namespace kforge;
using namespace kforge::actors;

namespace {

// A random memory: every kind, several families (one empty: cross-family insights), states,
// tasks, words and knob items, some retired, many ties in similarity and value.
std::vector<memory::memory_item> random_items(size_t n, uint64_t seed, size_t first_id = 0) {
  static const std::vector<std::string> kinds = {"seed", "optimization", "trajectory", "insight",
                                                 "technique"};
  static const std::vector<std::string> families = {"gemm", "softmax", "row_sum", ""};
  std::mt19937_64 rng{seed};
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  std::vector<memory::memory_item> out;
  for (size_t i = 0; i < n; ++i) {
    memory::memory_item m;
    m.id = "i" + std::to_string(first_id + i);
    m.kind = kinds[pick(kinds.size())];
    m.family = families[pick(families.size())];
    m.state = m.family + "|compute|eff" + std::to_string(pick(3)) + "|knob";
    if (pick(3) == 0)
      m.tags.push_back(pick(2) ? "draft" : "refine");
    if (pick(4) == 0)
      m.tags.push_back("technique");
    if (pick(3) == 0)
      m.tags.push_back(memory::words_tag);
    m.q1 = static_cast<double>(pick(5)) / 4.0;
    m.q2 = static_cast<double>(pick(5)) / 4.0 - 0.5;
    m.samples = static_cast<int64_t>(pick(6));
    m.mean_speedup = 0.5 + static_cast<double>(pick(8)) / 4.0;
    m.source_tasks = {"t" + std::to_string(pick(5))};
    m.retired = pick(10) == 0;
    out.push_back(std::move(m));
  }
  return out;
}

// Checks the index against the plain functions over the pool of the same items, for many queries.
void check_same(const memory_index& index, const std::vector<memory::memory_item>& pool, uint64_t seed) {
  std::mt19937_64 rng{seed};
  static const std::vector<std::string> families = {"gemm", "softmax", "row_sum", "", "absent"};
  for (int i = 0; i < 200; ++i) {
    context_query q;
    q.task_id = "t" + std::to_string(rng() % 6);
    q.family = families[rng() % families.size()];
    q.stage = rng() % 2 ? "draft" : "refine";
    q.state = rng() % 3 ? q.family + "|compute|eff" + std::to_string(rng() % 3) + "|knob" : std::string{};
    q.n = static_cast<int32_t>(rng() % 8);
    q.kb_n = static_cast<int32_t>(rng() % 4);
    q.seed = rng();
    q.policy = rng() % 2 ? "openai" : "offline";
    q.techniques = rng() % 2 == 0;
    ranking_config cfg;
    cfg.lambda = 1 + static_cast<int32_t>(rng() % 5);
    cfg.epsilon = rng() % 2 ? 0.3 : 0.0;
    cfg.use_values = rng() % 4 != 0;
    cfg.cross_task = rng() % 4 != 0;
    cfg.cross_family = rng() % 3 != 0;
    cfg.enabled = rng() % 10 != 0;
    auto reply = index.query(q, cfg);
    INFO("query " << i << " family '" << q.family << "' stage " << q.stage << " n " << q.n);
    CHECK(test::item_ids(reply.items) == test::item_ids(rank_items(pool, q, cfg)));
    auto exact_kb = choose_kb(pool, q, cfg);
    if (cfg.use_values && cfg.cross_task) {
      // Drawn from sum trees: choose_kb's distribution, not its picks (memory_index_kb_test
      // checks the distribution). Here: as many picks, distinct, each an entry choose_kb may draw.
      auto eligible = choose_kb(
          pool,
          [&] {
            auto all = q;
            all.kb_n = 1000000;
            return all;
          }(),
          cfg);
      auto allowed = test::item_ids(eligible);
      std::sort(allowed.begin(), allowed.end());
      auto got = test::item_ids(reply.kb);
      CHECK(got.size() == exact_kb.size());
      std::sort(got.begin(), got.end());
      CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());
      CHECK(std::includes(allowed.begin(), allowed.end(), got.begin(), got.end()));
    } else {
      CHECK(test::item_ids(reply.kb) == test::item_ids(exact_kb));
    }
    CHECK(test::item_ids(reply.techniques) == test::item_ids(technique_evidence(pool, q, cfg)));
  }
}

// The pool the old retriever built: every item by id, newest copy of each.
std::vector<memory::memory_item> id_ordered(const std::vector<memory::memory_item>& items) {
  std::map<std::string, memory::memory_item> by_id;
  for (const auto& item : items)
    by_id[item.id] = item;
  std::vector<memory::memory_item> out;
  for (auto& [id, item] : by_id)
    out.push_back(item);
  return out;
}

}  // namespace

TEST_CASE("the memory index answers as a scan of the whole pool", "[actors][retriever]") {
  auto items = random_items(600, 11);
  memory_index index{items};
  REQUIRE(index.size() == 600);
  check_same(index, id_ordered(items), 5);
}

TEST_CASE("the memory index stays exact under commits that add and replace items", "[actors][retriever]") {
  auto items = random_items(400, 3);
  memory_index index{items};
  std::vector<memory::memory_item> all = items;
  for (uint64_t round = 0; round < 4; ++round) {
    // A commit: fresh items, and new copies of old ones (values, retirement, family and kind changed).
    auto fresh = random_items(50, 100 + round, 1000 + 50 * round);
    auto changed = random_items(60, 200 + round);
    for (size_t i = 0; i < changed.size(); ++i)
      changed[i].id = items[(i * 7 + round) % items.size()].id;
    std::vector<memory::memory_item> commit = fresh;
    commit.insert(commit.end(), changed.begin(), changed.end());
    index.update(commit);
    all.insert(all.end(), commit.begin(), commit.end());
    REQUIRE(index.size() == 400 + 50 * (round + 1));
    check_same(index, id_ordered(all), 17 + round);
  }
}

TEST_CASE("a query of a family with few items still ranks the other families", "[actors][retriever]") {
  // The query's family cannot fill the over-fetch: other families must be scanned.
  std::vector<memory::memory_item> items;
  for (int i = 0; i < 3; ++i) {
    memory::memory_item m;
    m.id = "o" + std::to_string(i);
    m.kind = "seed";
    m.family = "gemm";
    m.q1 = 0.1 * i;
    items.push_back(m);
  }
  memory::memory_item own;
  own.id = "own";
  own.kind = "seed";
  own.family = "softmax";
  items.push_back(own);
  memory_index index{items};
  context_query q;
  q.family = "softmax";
  q.stage = "draft";
  q.n = 3;
  ranking_config cfg;
  cfg.epsilon = 0;
  cfg.use_values = false;
  CHECK(test::item_ids(index.query(q, cfg).items) == std::vector<std::string>{"own", "o0", "o1"});
}
