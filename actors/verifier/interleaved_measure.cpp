#include "actors/verifier/interleaved_measure.hpp"

#include "runtime/base/error.hpp"

#include <algorithm>
#include <vector>

namespace kforge::actors {

namespace {

double median_of(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

// The failing gate of `v` and its detail, for interleaved_timing::detail.
std::string failure_of(const kforge::verdict& v) {
  std::string gate = v.failed_gate.empty() ? std::string{"untimed"} : v.failed_gate;
  for (const auto& g : v.gates)
    if (g.gate == v.failed_gate && !g.detail.empty())
      return gate + ": " + g.detail.substr(0, 300);
  return gate;
}

}  // namespace

caf::expected<interleaved_timing> measure_interleaved(hardware::backend& backend,
                                                      const kforge::task_def& task, const std::string& source,
                                                      int32_t rounds, const std::string& tag) {
  auto ref = backend.compile(task, task.reference_source, tag + "-ref");
  if (!ref)
    return ref.error();
  auto cand = backend.compile(task, source, tag + "-best");
  if (!cand) {
    backend.discard(*ref);
    return cand.error();
  }
  auto release = [&] {
    backend.discard(*ref);
    backend.discard(*cand);
  };
  interleaved_timing out;
  if (!ref->ok) {
    release();
    return make_error(errc::reference_failed, "task " + task.id +
                                                  ": the reference does not build as a candidate on this "
                                                  "backend, so it cannot be timed beside the best");
  }
  if (!cand->ok) {
    release();
    out.detail = "compile: the best no longer builds";
    return out;
  }
  std::vector<double> r;
  std::vector<double> c;
  for (int32_t i = 0; i < std::max<int32_t>(1, rounds); ++i) {
    bool ref_first = i % 2 == 0;
    auto first = backend.run(task, ref_first ? *ref : *cand);
    auto second = backend.run(task, ref_first ? *cand : *ref);
    auto& a = ref_first ? first : second;
    auto& b = ref_first ? second : first;
    if (!a || !b) {
      release();
      return !a ? a.error() : b.error();
    }
    if (!a->is_timed()) {
      release();
      return make_error(errc::reference_failed,
                        "task " + task.id + ": the reference failed as a candidate: " + failure_of(*a));
    }
    out.rounds = i + 1;
    if (!b->is_timed()) {
      out.detail = failure_of(*b);
      release();
      out.reference_ns = a->timing.median_ns;
      return out;
    }
    r.push_back(a->timing.median_ns);
    c.push_back(b->timing.median_ns);
  }
  release();
  out.reference_ns = median_of(r);
  out.candidate_ns = median_of(c);
  return out;
}

}  // namespace kforge::actors
