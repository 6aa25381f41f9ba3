#include "actors/retriever/memory_index.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::memory_item kb_entry(const std::string& id, const std::string& state, double speedup,
                             int64_t samples) {
  memory::memory_item m;
  m.id = id;
  m.kind = "optimization";
  m.family = "gemm";
  m.state = state;
  m.mean_speedup = speedup;
  m.samples = samples;
  m.source_tasks = {"t0"};
  return m;
}

// Entries in the query's state, in another state of its bound, and of another bound.
std::vector<memory::memory_item> kb_entries() {
  std::vector<memory::memory_item> out;
  const std::vector<std::string> states = {"gemm|compute|eff0|knob", "gemm|compute|eff2|knob",
                                           "gemm|memory|eff1|knob"};
  for (int i = 0; i < 12; ++i)
    out.push_back(
        kb_entry("k" + std::to_string(i), states[static_cast<size_t>(i) % 3], 0.6 + 0.2 * i, 1 + i % 6));
  return out;
}

context_query kb_query(uint64_t seed, int kb_n) {
  context_query q;
  q.task_id = "t0";
  q.family = "gemm";
  q.stage = "refine";
  q.state = "gemm|compute|eff0|knob";
  q.n = 0;
  q.kb_n = kb_n;
  q.seed = seed;
  return q;
}

// choose_kb's probability of each entry being drawn first: its weight over the sum.
std::map<std::string, double> first_pick_odds(const std::vector<memory::memory_item>& pool,
                                              const ranking_config& cfg) {
  std::map<std::string, double> w;
  double total = 0;
  for (const auto& m : pool) {
    double match = m.state == "gemm|compute|eff0|knob"     ? 1.0
                   : m.state.rfind("gemm|compute", 0) == 0 ? cfg.kb_bound_match
                                                           : cfg.kb_family_match;
    w[m.id] = std::exp(kb_score(m, cfg) * match / cfg.kb_temperature);
    total += w[m.id];
  }
  for (auto& [id, x] : w)
    x /= total;
  return w;
}

}  // namespace

TEST_CASE("the knowledge-base draw has choose_kb's distribution", "[actors][retriever]") {
  auto pool = kb_entries();
  ranking_config cfg;
  memory_index index{pool, cfg};
  auto odds = first_pick_odds(pool, cfg);
  const int draws = 20000;
  std::map<std::string, int> first;
  std::map<std::string, int> in_two;
  std::map<std::string, int> old_first;
  for (uint64_t seed = 0; seed < draws; ++seed) {
    auto one = index.query(kb_query(seed, 1), cfg).kb;
    REQUIRE(one.size() == 1);
    first[one.front().id] += 1;
    old_first[choose_kb(pool, kb_query(seed, 1), cfg).front().id] += 1;
    auto two = index.query(kb_query(seed, 2), cfg).kb;
    REQUIRE(two.size() == 2);
    REQUIRE(two[0].id != two[1].id);
    for (const auto& m : two)
      in_two[m.id] += 1;
  }
  for (const auto& [id, p] : odds) {
    // P(i among two draws without replacement) = p_i + sum_j p_j * p_i / (1 - p_j).
    double two_p = p;
    for (const auto& [other, q] : odds)
      if (other != id)
        two_p += q * p / (1 - q);
    INFO("entry " << id << " p " << p);
    // 20,000 draws: a standard error under 0.0036, so 0.015 is over four of them.
    CHECK(std::abs(first[id] / double{draws} - p) < 0.015);
    CHECK(std::abs(old_first[id] / double{draws} - p) < 0.015);
    CHECK(std::abs(in_two[id] / double{draws} - two_p) < 0.015);
  }
  // All entries drawn when more are asked for than there are, each once.
  auto all = index.query(kb_query(5, 40), cfg).kb;
  CHECK(all.size() == pool.size());
  std::set<std::string> distinct;
  for (const auto& m : all)
    distinct.insert(m.id);
  CHECK(distinct.size() == pool.size());
}

TEST_CASE("a retired or changed knowledge-base entry leaves the draw", "[actors][retriever]") {
  auto pool = kb_entries();
  ranking_config cfg;
  memory_index index{pool, cfg};
  auto drawn = [&](const std::string& id) {
    for (uint64_t seed = 0; seed < 400; ++seed)
      for (const auto& m : index.query(kb_query(seed, 3), cfg).kb)
        if (m.id == id)
          return true;
    return false;
  };
  REQUIRE(drawn("k11"));
  auto retired = pool[11];
  retired.retired = true;
  auto unsampled = pool[10];
  unsampled.samples = 0;
  index.update({retired, unsampled});
  CHECK_FALSE(drawn("k11"));
  CHECK_FALSE(drawn("k10"));
  CHECK(index.query(kb_query(1, 40), cfg).kb.size() == pool.size() - 2);
  retired.retired = false;
  index.update({retired});
  CHECK(drawn("k11"));
  // A new value moves the odds: a huge speedup is drawn first nearly always.
  auto best = pool[0];
  best.mean_speedup = 40;
  best.samples = 5;
  index.update({best});
  int firsts = 0;
  for (uint64_t seed = 0; seed < 200; ++seed)
    firsts += index.query(kb_query(seed, 1), cfg).kb.front().id == "k0" ? 1 : 0;
  CHECK(firsts == 200);
}

TEST_CASE("epsilon reaches every over-fetched item, not only the best by Q", "[actors][retriever]") {
  // 300 seeds of one (family, state, task): the over-fetch is the lambda*N lowest ids of them
  // (equal similarity, ties by id, as rank_items), and Q decides among those; epsilon may pick
  // any of them. Retiring one lets the next id in.
  std::vector<memory::memory_item> items;
  for (int i = 0; i < 300; ++i) {
    memory::memory_item m;
    m.id = "s" + std::to_string(1000 + i);
    m.kind = "seed";
    m.family = "gemm";
    m.source_tasks = {"t0"};
    m.q1 = static_cast<double>(i % 7) / 7.0;
    items.push_back(m);
  }
  memory_index index{items};
  context_query q;
  q.task_id = "t0";
  q.family = "gemm";
  q.stage = "draft";
  q.n = 1;
  ranking_config cfg;
  cfg.lambda = 5;
  auto picked = [&](double epsilon) {
    cfg.epsilon = epsilon;
    std::set<std::string> seen;
    for (uint64_t seed = 0; seed < 200; ++seed) {
      q.seed = seed;
      auto reply = index.query(q, cfg);
      REQUIRE(reply.items.size() == 1);
      REQUIRE(reply.items[0].id == rank_items(items, q, cfg).at(0).id);
      seen.insert(reply.items[0].id);
    }
    return seen;
  };
  CHECK(picked(0.0) == std::set<std::string>{"s1004"});  // the best Q of s1000..s1004
  CHECK(picked(1.0) == std::set<std::string>{"s1000", "s1001", "s1002", "s1003", "s1004"});
  items[0].retired = true;
  index.update({items[0]});
  CHECK(picked(1.0) == std::set<std::string>{"s1001", "s1002", "s1003", "s1004", "s1005"});
  CHECK(picked(0.0) == std::set<std::string>{"s1005"});  // q1 5/7
}
