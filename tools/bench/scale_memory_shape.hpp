#pragma once

// The memory the scale benchmark generates (a long CPU campaign's shape) and the small helpers
// its parts share.

#include "actors/messages.hpp"
#include "memory/records.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace kforge::bench {

using clock_type = std::chrono::steady_clock;

inline double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

inline std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

// A memory shaped like a long CPU campaign's: `tasks` tasks over the families, items of every
// kind (knob items and items in words), states, source tasks, JSON payloads of the real shapes.
struct memory_shape {
  std::vector<std::string> families = {"gemm",   "gemv", "softmax", "row_sum", "transpose",   "layernorm",
                                       "conv1d", "scan", "pool",    "relu",    "log_softmax", "loss"};
  int tasks = 600;
  /// Real tasks (id, family) of a store to fill, used instead of "task<n>" over `families`.
  std::vector<std::pair<std::string, std::string>> real_tasks;

  std::string family_of(int task) const {
    if (!real_tasks.empty())
      return real_tasks[static_cast<size_t>(task) % real_tasks.size()].second;
    return families[static_cast<size_t>(task) % families.size()];
  }
  std::string task_name(int task) const {
    if (!real_tasks.empty())
      return real_tasks[static_cast<size_t>(task) % real_tasks.size()].first;
    return "task" + std::to_string(task);
  }

  memory::memory_item item(std::mt19937_64& rng, uint64_t n) const {
    auto pick = [&](uint64_t k) { return static_cast<int64_t>(rng() % k); };
    memory::memory_item m;
    char id[32];
    std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(n * 0x9e3779b97f4a7c15ULL));
    m.id = id;
    auto task = static_cast<int>(pick(static_cast<uint64_t>(tasks)));
    m.family = family_of(task);
    m.source_tasks = {task_name(task)};
    m.state = m.family + "|" + (pick(2) ? "memory" : "compute") + "|eff" + std::to_string(pick(4)) + "|knob";
    auto kind = pick(100);
    bool words = pick(10) < 3;
    double effect = 0.6 + static_cast<double>(pick(40)) / 20.0;
    if (kind < 20) {
      m.kind = "seed";
      m.payload =
          words ? nlohmann::json{{"technique", pick(2) ? "simd_vectorization" : "loop_tiling"},
                                 {"feasible", pick(4) != 0},
                                 {"speedup_vs_ref", effect},
                                 {"optimization", "vectorized the inner loop"}}
                      .dump()
                : nlohmann::json{{"knobs",
                                  {{"VEC", 1 << pick(4)}, {"ACC", 1 + pick(4)}, {"TILE", 16 << pick(3)}}},
                                 {"speedup", effect}}
                      .dump();
    } else if (kind < 60) {
      m.kind = "trajectory";
      m.payload = words ? nlohmann::json{{"technique", "multiple_accumulators"},
                                         {"feasible", pick(4) != 0},
                                         {"speedup_vs_parent", effect},
                                         {"failed_gate", "correctness"},
                                         {"optimization", "split the accumulator"}}
                              .dump()
                        : nlohmann::json{{"changes", {{{"knob", "VEC"}, {"value", 1 << pick(4)}}}},
                                         {"speedup_vs_parent", effect}}
                              .dump();
    } else if (kind < 93) {
      m.kind = "optimization";
      m.payload = nlohmann::json{{"changes", {{{"knob", "ACC"}, {"value", 1 + pick(4)}}}}}.dump();
      if (n % 500 == 0)  // technique entries: one per (family, state, technique), so few
        m.tags.push_back("technique");
      m.samples = pick(8);
      m.mean_speedup = effect;
    } else if (kind < 99 || n % 25000 != 0) {  // learned techniques: a catalogue's worth
      m.kind = "insight";
      m.tags = {pick(2) ? "draft" : "refine", "consolidated"};
      if (pick(4) == 0)
        m.family.clear();
    } else {
      m.kind = "technique";
    }
    if (words)
      m.tags.push_back(memory::words_tag);
    m.text = m.family + ": set VEC=" + std::to_string(1 << pick(4)) + " gave " + fixed(effect, 2) +
             "x over the parent on " + m.source_tasks.front();
    m.q1 = static_cast<double>(pick(21)) / 10.0 - 1.0;
    m.q2 = static_cast<double>(pick(21)) / 10.0 - 1.0;
    m.visits1 = pick(4);
    m.visits2 = pick(6);
    m.created_ms = m.updated_ms = static_cast<int64_t>(n);
    return m;
  }

  actors::context_query query(std::mt19937_64& rng) const {
    actors::context_query q;
    auto task = static_cast<int>(rng() % static_cast<uint64_t>(tasks));
    q.campaign = "bench";
    q.task_id = task_name(task);
    q.family = family_of(task);
    bool refine = rng() % 4 != 0;
    q.stage = refine ? "refine" : "draft";
    if (refine)
      q.state =
          q.family + "|" + (rng() % 2 ? "memory" : "compute") + "|eff" + std::to_string(rng() % 4) + "|knob";
    q.n = 6;
    q.kb_n = refine ? 3 : 0;
    q.seed = rng();
    q.techniques = refine && rng() % 2 == 0;
    return q;
  }
};

}  // namespace kforge::bench
