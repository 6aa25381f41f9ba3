// The generated harness's helpers shared by its C++ and CUDA variants: the CI test that ends a timing
// loop, the order of the timed calls' input sets, the choice of the timed outputs checked, the
// result records and the failure message.
#include "hardware/native/harness_text.hpp"

namespace kforge::hardware {

namespace {

constexpr const char* helpers =
    R"HARNESS(// True once the half-width of the median's 95 % CI (ranks n/2 -+ 1.96 sqrt(n)/2) is below ci_ppm/1e6 x median.
bool kforge_converged(const std::vector<uint64_t>& sorted, long long ci_ppm) {
  const std::size_t n = sorted.size();
  if (n == 0) return false;
  const double half = static_cast<double>(n) / 2.0;
  const double spread = 1.96 * std::sqrt(static_cast<double>(n)) / 2.0;
  long long lo = static_cast<long long>(std::floor(half - spread));
  long long hi = static_cast<long long>(std::ceil(half + spread));
  const long long last = static_cast<long long>(n);
  lo = lo < 1 ? 1 : (lo > last ? last : lo);
  hi = hi < 1 ? 1 : (hi > last ? last : hi);
  const double median = n % 2 == 1 ? static_cast<double>(sorted[n / 2])
                                   : (static_cast<double>(sorted[n / 2 - 1]) + static_cast<double>(sorted[n / 2])) / 2.0;
  const double width = (static_cast<double>(sorted[static_cast<std::size_t>(hi - 1)]) -
                        static_cast<double>(sorted[static_cast<std::size_t>(lo - 1)])) / 2.0;
  return width * 1e6 < static_cast<double>(ci_ppm) * median;
}

void kforge_append(kforge_bytes& out, const void* data, std::size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  out.insert(out.end(), p, p + n);
}

kforge_bytes kforge_tensor_payload(const kforge_tensors& tensors) {
  kforge_bytes out;
  uint32_t head[2] = {static_cast<uint32_t>(tensors.size()), 0};
  kforge_append(out, head, sizeof head);
  for (const auto& t : tensors) {
    uint64_t n = t.size();
    kforge_append(out, &n, sizeof n);
  }
  for (const auto& t : tensors) kforge_append(out, t.data(), t.size() * sizeof(float));
  return out;
}

bool kforge_send(kforge_state& g, uint32_t type, uint32_t index, const kforge_bytes& payload) {
  kforge_bytes record;
  record.reserve(40 + payload.size());
  kforge_append(record, "KFRECORD", 8);
  kforge_append(record, g.nonce, 16);
  kforge_append(record, &type, 4);
  kforge_append(record, &index, 4);
  uint64_t size = payload.size();
  kforge_append(record, &size, 8);
  kforge_append(record, payload.data(), payload.size());
  const unsigned char* p = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    ssize_t n = ::write(g.channel, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// The order of the timed calls' input sets: blocks of `sets` calls, each a random permutation of
// every set (so each set is timed once per block), shuffled by splitmix64 seeded from the nonce.
struct kforge_rng {
  uint64_t state = 0;
  std::vector<std::size_t> block;
  std::size_t next = 0;
  kforge_rng(const unsigned char* nonce, std::size_t sets) : block(sets) {
    for (int i = 0; i < 16; ++i) state = state * 131u + nonce[i];
    for (std::size_t i = 0; i < sets; ++i) block[i] = i;
    next = sets;
  }
  uint64_t draw() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t set() {
    if (next == block.size()) {
      for (std::size_t i = block.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(draw() % i);
        const std::size_t t = block[i - 1];
        block[i - 1] = block[j];
        block[j] = t;
      }
      next = 0;
    }
    return block[next++];
  }
};

// Keeps `got` in `kept` when it strays further from `checked` (the set's correctness outputs) than
// any earlier timed call of the set did; a NaN or Inf counts as the furthest.
void kforge_keep_worst(const kforge_tensors& got, const kforge_tensors& checked, kforge_tensors& kept,
                       double& worst) {
  double d = 0;
  for (std::size_t t = 0; t < got.size() && t < checked.size(); ++t) {
    for (std::size_t k = 0; k < got[t].size() && k < checked[t].size(); ++k) {
      const double e = static_cast<double>(got[t][k]) - static_cast<double>(checked[t][k]);
      const double a = e < 0 ? -e : e;
      if (!(a <= 1e300)) {
        d = 1e308;
        break;
      }
      if (a > d) d = a;
    }
  }
  if (d > worst) {
    worst = d;
    kept = got;
  }
}

int kforge_fail(int code, const char* what, const char* where) {
  std::fprintf(stderr, "kforge harness: %s %s\n", what, where);
  return code;
}

)HARNESS";

}  // namespace

const char* harness_helpers_text() {
  return helpers;
}

}  // namespace kforge::hardware
