#pragma once

// The archive of one task (Kernel-Smith, OpenEvolve): its best feasible
// kernels and a diverse set beside them, from which refinement picks its
// parent by Q2 (EvoKernel). Free of CAF, so it is tested directly.
//
// Members: every timed candidate is a candidate member; the archive view is
// the `best` fastest, then, in order of latency, those whose knob settings
// differ in at least `min_distance` knobs from every member already chosen,
// up to `diverse` more. A member's Q2 is its value as a parent: it starts at
// tanh(prior_scale (log best - log latency)) (0 for the best, negative for slower ones) and
// moves toward the rewards of the children refined from it (Monte-Carlo,
// alpha), including -1 for a step that found nothing new to try from it. So
// the best is refined while that pays, and a diverse member takes over when
// it stops paying, instead of ending the task as "exhausted".

#include "memory/records.hpp"
#include "runtime/base/task.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kforge::actors {

/// Archive constants; from the campaign config ([archive]).
struct archive_config {
  int32_t best = 2;          ///< fastest members always kept
  int32_t diverse = 4;       ///< diverse members beside them
  int32_t min_distance = 2;  ///< knobs that must differ from every chosen member
  double epsilon = 0.05;     ///< chance of a uniformly random parent
  double alpha = 0.2;        ///< Monte-Carlo step size of a parent's Q2
  double prior_scale = 3.0;  ///< how strongly a member's prior Q2 falls with its distance from the best
};

/// One archive member.
struct archive_entry {
  std::string hash;
  std::vector<kforge::knob_setting> knobs;
  std::string source;
  double latency_ns = 0;
  double ci_half_ns = 0;  ///< of its latency's median (ns)
  std::string perf_state;
  double q2 = 0;       ///< value as a parent
  int64_t visits = 0;  ///< children (and empty steps) credited to it
};

/// A task's archive. Not thread-safe; owned by the task actor.
class archive {
 public:
  /// An empty archive with `cfg`.
  explicit archive(archive_config cfg) : cfg_(cfg) {}

  /// Adds a timed (feasible) candidate; others are ignored.
  void add(const memory::candidate_record& cand);

  /// Credits `reward` to the parent `hash` (a child's refine reward, or -1 for a step
  /// that proposed nothing new from it). Unknown hashes are ignored.
  void reward_parent(const std::string& hash, double reward);

  /// The current members: the best first, then the diverse ones, ordered by latency.
  [[nodiscard]] std::vector<archive_entry> members() const;

  /// The parent for the next refinement: the member with the highest Q2 (ties: faster
  /// first), or with probability epsilon a uniformly random member. Deterministic for
  /// a given `seed`. Empty archive: an entry with an empty hash.
  [[nodiscard]] archive_entry pick_parent(uint64_t seed) const;

  /// Number of knobs whose values differ between two settings (a knob missing on one side differs).
  [[nodiscard]] static int32_t distance(const std::vector<kforge::knob_setting>& a,
                                        const std::vector<kforge::knob_setting>& b);

 private:
  /// A member's Q2 before any child: tanh(prior_scale (log best - log latency)).
  [[nodiscard]] double prior(double latency_ns) const noexcept;

  /// members() as positions in all_, nothing copied.
  [[nodiscard]] std::vector<size_t> member_positions() const;

  /// The Q2 of all_[i] as a member: its prior until it has a child.
  [[nodiscard]] double member_q2(size_t i) const noexcept;

  archive_config cfg_;
  std::vector<archive_entry> all_;       ///< every timed candidate, in arrival order
  std::vector<size_t> by_latency_;       ///< positions in all_, fastest first (arrival order on ties)
  std::map<std::string, size_t> index_;  ///< hash -> position in all_
  double best_ns_ = 0;
};

}  // namespace kforge::actors
