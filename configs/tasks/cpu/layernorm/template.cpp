// Row-wise layer normalisation template (GCC vector extensions, float math).
// Knobs:
//   VEC      lanes per vector (1, 4, 8, 16).
//   ACC      independent accumulator vectors (1, 2, 4). Every row loop steps by
//            VEC*ACC with NO remainder loop: wrong when cols % (VEC*ACC) != 0.
//   ONE_PASS 0: two passes (mean, then centred variance), numerically safe;
//            1: one fused pass of sum and sum of squares, var = E[x^2] - mean^2
//               (one pass fewer, but cancels badly when |mean| >> std).
#include <cmath>
#include <cstring>

// The machine's vector width, KF_LANES floats: 16 where the compiler targets AVX-512, 8 with AVX,
// else 4. A VEC wider than that is VEC / KF_LANES vectors of the machine's width, each one more
// accumulator (KF_A = ACC * VEC / KF_LANES of KF_V lanes): the same VEC * ACC columns per step
// and the same remainders, without vectors the machine lacks (which GCC lowers badly).
#if defined(__AVX512F__)
#define KF_LANES 16
#elif defined(__AVX__)
#define KF_LANES 8
#else
#define KF_LANES 4
#endif
#if VEC > KF_LANES
#define KF_V KF_LANES
#define KF_A (ACC * (VEC / KF_LANES))
#else
#define KF_V VEC
#define KF_A ACC
#endif

// kf_vf: KF_V float lanes (a plain float when KF_V == 1).
#if KF_V == 1
typedef float kf_vf;
static inline float kf_lane(kf_vf v, int) { return v; }
#else
typedef float kf_vf __attribute__((vector_size(KF_V * sizeof(float))));
static inline float kf_lane(kf_vf v, int i) { return v[i]; }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }
static inline kf_vf kf_splat(float s) { kf_vf v = {}; return v + s; }

static inline float kf_hsum(const kf_vf* v) {
  kf_vf t = v[0];
  for (int a = 1; a < KF_A; ++a) t += v[a];
  float s = 0.0f;
  for (int i = 0; i < KF_V; ++i) s += kf_lane(t, i);
  return s;
}

void layernorm(const float* __restrict x, const float* __restrict gamma,
               const float* __restrict beta, float* __restrict y, int rows, int cols) {
  constexpr int W = KF_V * KF_A;
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = x + (long)r * cols;
    float* __restrict yr = y + (long)r * cols;
    kf_vf s[KF_A], q[KF_A];
    for (int a = 0; a < KF_A; ++a) { s[a] = kf_vf{}; q[a] = kf_vf{}; }
#if ONE_PASS
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) {
        kf_vf t = kf_load(xr + j + a * KF_V);
        s[a] += t;
        q[a] += t * t;
      }
    const float mean = kf_hsum(s) / cols;
    float var = kf_hsum(q) / cols - mean * mean;
    var = var < 0.0f ? 0.0f : var;
#else
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) s[a] += kf_load(xr + j + a * KF_V);
    const float mean = kf_hsum(s) / cols;
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) {
        kf_vf d = kf_load(xr + j + a * KF_V) - mean;
        q[a] += d * d;
      }
    const float var = kf_hsum(q) / cols;
#endif
    const float rstd = 1.0f / std::sqrt(var + 1e-5f);
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) {
        const int k = j + a * KF_V;
        kf_store(yr + k, (kf_load(xr + k) - mean) * rstd * kf_load(gamma + k) + kf_load(beta + k));
      }
  }
}
