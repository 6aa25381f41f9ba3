#include "actors/retriever/kb_sampler.hpp"
#include "actors/retriever/memory_index.hpp"
#include "actors/retriever/ordered_slots.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

// Few families, states and tasks, so buckets grow past a chunk (ordered_slots splits them);
// some items of several source tasks, some retired, ids sharing their first 8 bytes.
memory::memory_item crowded_item(std::mt19937_64& rng, size_t n) {
  static const std::vector<std::string> kinds = {"seed", "optimization", "trajectory", "insight",
                                                 "technique"};
  static const std::vector<std::string> families = {"gemm", "softmax", ""};
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  memory::memory_item m;
  m.id = (n % 5 == 0 ? "samekey_" : "") + std::to_string(rng() % 100000) + "_" + std::to_string(n);
  m.kind = kinds[pick(kinds.size())];
  m.family = families[pick(families.size())];
  m.state = m.family + "|compute|eff" + std::to_string(pick(2)) + "|knob";
  if (pick(3) == 0)
    m.tags.push_back(pick(2) ? "draft" : "refine");
  if (pick(5) == 0)
    m.tags.push_back("technique");
  if (pick(4) == 0)
    m.tags.push_back(memory::words_tag);
  m.source_tasks = {"t" + std::to_string(pick(3))};
  if (pick(6) == 0)
    m.source_tasks.push_back("t" + std::to_string(pick(3)));
  m.q1 = static_cast<double>(pick(7)) / 6.0;
  m.q2 = static_cast<double>(pick(7)) / 6.0 - 0.5;
  m.samples = static_cast<int64_t>(pick(5));
  m.mean_speedup = 0.5 + static_cast<double>(pick(8)) / 4.0;
  m.retired = pick(12) == 0;
  m.text = "text " + std::to_string(n);
  m.visits1 = static_cast<int64_t>(pick(9));
  m.visits2 = -static_cast<int64_t>(pick(9));
  m.created_ms = static_cast<int64_t>(n) * 1000;
  m.updated_ms = m.created_ms + static_cast<int64_t>(pick(50));
  m.feasible_samples = m.samples / 2;
  m.payload = R"({"k":)" + std::to_string(n) + "}";
  return m;
}

// Every field, so that the compact store is seen to give back what it was given.
bool same_item(const memory::memory_item& a, const memory::memory_item& b) {
  return a.id == b.id && a.kind == b.kind && a.family == b.family && a.state == b.state && a.tags == b.tags &&
         a.text == b.text && a.payload == b.payload && a.q1 == b.q1 && a.q2 == b.q2 &&
         a.visits1 == b.visits1 && a.visits2 == b.visits2 && a.source_tasks == b.source_tasks &&
         a.created_ms == b.created_ms && a.updated_ms == b.updated_ms && a.samples == b.samples &&
         a.mean_speedup == b.mean_speedup && a.feasible_samples == b.feasible_samples &&
         a.retired == b.retired;
}

context_query random_query(std::mt19937_64& rng) {
  static const std::vector<std::string> families = {"gemm", "softmax", "", "absent"};
  context_query q;
  q.task_id = "t" + std::to_string(rng() % 4);
  q.family = families[rng() % families.size()];
  q.stage = rng() % 2 ? "draft" : "refine";
  q.state = rng() % 3 ? q.family + "|compute|eff" + std::to_string(rng() % 2) + "|knob" : std::string{};
  q.n = 1 + static_cast<int32_t>(rng() % 8);
  q.seed = rng();
  q.kb_n = static_cast<int32_t>(rng() % 3);
  q.policy = rng() % 2 ? "openai" : "offline";
  q.techniques = rng() % 2 == 0;
  return q;
}

}  // namespace

TEST_CASE("ordered slots keep id order through inserts, erases and chunk splits", "[actors][retriever]") {
  std::mt19937_64 rng{42};
  auto less = [](const detail::slot_entry& a, const detail::slot_entry& b) {
    return a.key != b.key ? a.key < b.key : a.slot < b.slot;
  };
  detail::ordered_slots list;
  std::set<std::pair<uint64_t, uint32_t>> truth;
  for (uint32_t i = 0; i < 5000; ++i) {
    if (!truth.empty() && rng() % 3 == 0) {  // erase a random present entry
      auto it = truth.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng() % truth.size()));
      REQUIRE(list.erase({it->first, it->second}, less));
      truth.erase(it);
    } else {
      detail::slot_entry e{rng() % 700, i};  // many equal keys
      list.insert(e, less);
      truth.insert({e.key, e.slot});
    }
  }
  CHECK_FALSE(list.erase({1U << 20U, 99999}, less));
  REQUIRE(list.size() == truth.size());
  REQUIRE(truth.size() > 2 * detail::ordered_slots::chunk_max);  // several chunks
  std::vector<std::pair<uint64_t, uint32_t>> walked;
  detail::ordered_slots::cursor at;
  for (const auto* e = list.at(at); e != nullptr; list.advance(at), e = list.at(at))
    walked.emplace_back(e->key, e->slot);
  CHECK(walked == std::vector<std::pair<uint64_t, uint32_t>>(truth.begin(), truth.end()));
}

TEST_CASE("the weight tree's sums and search match a plain array", "[actors][retriever]") {
  std::mt19937_64 rng{9};
  std::uniform_real_distribution<double> w{0.0, 4.0};
  detail::weight_tree tree;
  std::vector<detail::kb_weights> plain;
  for (int step = 0; step < 3000; ++step) {
    auto r = rng() % 4;
    if (r == 0 && !plain.empty()) {
      auto pos = rng() % plain.size();
      tree.swap_remove(pos);
      plain[pos] = plain.back();
      plain.pop_back();
    } else if (r == 1 && !plain.empty()) {
      auto pos = rng() % plain.size();
      detail::kb_weights x{w(rng), w(rng), w(rng)};
      tree.set(pos, x);
      plain[pos] = x;
    } else {
      detail::kb_weights x{w(rng), w(rng), w(rng)};
      tree.push(x);
      plain.push_back(x);
    }
  }
  REQUIRE(tree.size() == plain.size());
  for (int v = 0; v < 3; ++v) {
    double sum = 0;
    for (size_t p = 0; p < plain.size(); ++p) {
      sum += plain[p][static_cast<size_t>(v)];
      REQUIRE(tree.prefix(p, v) == Approx(sum).epsilon(1e-9));
    }
    for (int k = 0; k < 200; ++k) {
      double target = std::uniform_real_distribution<double>{0.0, sum}(rng);
      auto p = tree.find(target, v);
      // The first position whose prefix exceeds the target.
      CHECK(tree.prefix(p, v) > target - 1e-9);
      if (p > 0)
        CHECK(tree.prefix(p - 1, v) <= target + 1e-9);
    }
  }
}

TEST_CASE("the bucketed index ranks as the whole-pool scan through random commits", "[actors][retriever]") {
  std::mt19937_64 gen{2026};
  std::map<std::string, memory::memory_item> truth;
  std::vector<memory::memory_item> first;
  for (size_t i = 0; i < 3000; ++i)
    first.push_back(crowded_item(gen, i));
  memory_index index{first};
  for (const auto& m : first)
    truth[m.id] = m;
  size_t next = 3000;
  for (int round = 0; round < 6; ++round) {
    std::vector<memory::memory_item> commit;
    for (int k = 0; k < 150; ++k) {
      if (k % 3 == 0) {
        commit.push_back(crowded_item(gen, next++));
        continue;
      }
      auto it = truth.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(gen() % truth.size()));
      auto m = it->second;
      switch (gen() % 4) {
        case 0:
          m.q2 += 0.25;  // a new value, same buckets
          m.samples += 1;
          break;
        case 1:
          m.retired = !m.retired;
          break;
        case 2:
          m = crowded_item(gen, next++);  // everything that places it changes
          m.id = it->first;
          break;
        default:
          m.source_tasks = {"t0", "t1", "t2"};
      }
      commit.push_back(m);
    }
    index.update(commit);
    for (const auto& m : commit)
      truth[m.id] = m;
    std::vector<memory::memory_item> pool;
    for (const auto& [id, m] : truth)
      pool.push_back(m);
    REQUIRE(index.size() == pool.size());
    std::mt19937_64 rng{static_cast<uint64_t>(round)};
    for (int i = 0; i < 60; ++i) {
      auto q = random_query(rng);
      ranking_config cfg;
      cfg.lambda = 1 + static_cast<int32_t>(rng() % 6);
      cfg.epsilon = rng() % 2 ? 0.4 : 0.0;
      cfg.cross_task = rng() % 4 != 0;
      cfg.cross_family = rng() % 3 != 0;
      auto reply = index.query(q, cfg);
      INFO("round " << round << " query " << i << " family '" << q.family << "' " << q.stage);
      auto want = rank_items(pool, q, cfg);
      REQUIRE(test::item_ids(reply.items) == test::item_ids(want));
      for (size_t k = 0; k < want.size(); ++k)
        REQUIRE(same_item(reply.items[k], want[k]));
      auto techniques = technique_evidence(pool, q, cfg);
      REQUIRE(test::item_ids(reply.techniques) == test::item_ids(techniques));
      for (size_t k = 0; k < techniques.size(); ++k)
        REQUIRE(same_item(reply.techniques[k], techniques[k]));
      for (const auto& m : reply.kb)
        REQUIRE(same_item(m, truth.at(m.id)));
    }
  }
}
