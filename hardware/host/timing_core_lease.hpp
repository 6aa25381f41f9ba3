#pragma once

// The core a kforge process times its candidates on, claimed for the whole machine.
//
// Every timed run is pinned to one core so that its medians do not depend on where the
// scheduler put it. Two kforge processes on one host (a daemon and a `kforge run`, two
// campaigns, a worker) that pinned to the same core timed each other: the same binary's
// medians were bimodal (66-69 us or 88-102 us). A lease claims a core with an flock'd file
// (released by the kernel even when kforge is killed), so each process gets a core of its
// own while there are cores to give.

#include <string>
#include <vector>

namespace kforge::hardware {

/// The cores this process may run on (sched_getaffinity), ascending.
[[nodiscard]] std::vector<int> allowed_cores();

/// The cores a lease tries by default: the allowed ones from the last down, core 0 (where
/// interrupts and most housekeeping land) last. Empty when fewer than 2 cores are allowed.
[[nodiscard]] std::vector<int> default_timing_cores();

/// One claimed core. Move-only; the claim ends on destruction.
class timing_core_lease {
 public:
  timing_core_lease() = default;
  timing_core_lease(const timing_core_lease&) = delete;
  timing_core_lease& operator=(const timing_core_lease&) = delete;
  timing_core_lease(timing_core_lease&& other) noexcept;
  timing_core_lease& operator=(timing_core_lease&& other) noexcept;
  ~timing_core_lease();

  /// Claims the first of `candidates` no other lease on this machine holds. When every one
  /// is held, the lease shares the first (shared() is true) and the caller should say so.
  /// `claim_dir` empty: /run/lock where it is writable, else the temporary directory.
  /// No candidates: core() is -1 (no pinning).
  [[nodiscard]] static timing_core_lease acquire(const std::vector<int>& candidates,
                                                 const std::string& claim_dir = {});

  [[nodiscard]] int core() const noexcept { return core_; }
  /// True when another process's lease holds core() too (or claims could not be made).
  [[nodiscard]] bool shared() const noexcept { return shared_; }
  /// Why the lease is shared, for the log; empty when it is not.
  [[nodiscard]] const std::string& note() const noexcept { return note_; }

 private:
  int core_ = -1;
  bool shared_ = false;
  std::string note_;
  int fd_ = -1;  ///< the flock'd claim file of core_
};

}  // namespace kforge::hardware
