// Row-wise softmax template (GCC vector extensions, VEC float lanes per vector).
// Knobs:
//   VEC        lanes per vector (1, 4, 8, 16).
//   ACC        independent vectors per step (1, 2, 4): breaks the max / sum
//              dependency chains. Every row loop steps by VEC*ACC.
//   TAIL       0: NO remainder loop: wrong when cols % (VEC*ACC) != 0;
//              1: the last cols % (VEC*ACC) columns of each pass one by one.
//   APPROX_EXP 0: std::exp per lane (libm, scalar calls);
//              1: range reduction + degree-6 polynomial (about 2 ulp);
//              2: range reduction + degree-3 Taylor polynomial (rel. error
//                 ~4e-4: too coarse for tight tolerances).
//   RECIP      0: divide by the row sum; 1: multiply by its reciprocal.
#include <cmath>
#include <cstdint>
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

static inline kf_vf kf_exp(kf_vf x) {
#if APPROX_EXP == 0
  float* l = reinterpret_cast<float*>(&x);
  for (int i = 0; i < KF_V; ++i) l[i] = std::exp(l[i]);
  return x;
#else
  const kf_vf lo = kf_splat(-87.0f);
  x = x < lo ? lo : x;                         // inputs here are <= 0 (x - max)
  kf_vf t = x * 1.44269504088896341f;
  kf_vf n = (t + 12582912.0f) - 12582912.0f;   // round to nearest integer
  kf_vf f = x - n * 0.693359375f;              // Cody-Waite: ln2 = hi + lo
  f = f - n * -2.12194440e-4f;
#if APPROX_EXP == 1
  kf_vf p = f * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
#else
  kf_vf p = ((f * 0.16666667f + 0.5f) * f + 1.0f) * f + 1.0f;
#endif
#if KF_V == 1
  int32_t e = ((int32_t)n + 127) << 23;
  float sc;
  std::memcpy(&sc, &e, sizeof sc);
  return p * sc;
#else
  typedef int32_t kf_vi __attribute__((vector_size(KF_V * sizeof(float))));
  kf_vi e = (__builtin_convertvector(n, kf_vi) + 127) << 23;
  return p * (kf_vf)e;
#endif
#endif
}

void softmax_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  constexpr int W = KF_V * KF_A;
  const int tail = TAIL ? cols - cols % W : cols;  // first column of the scalar remainder
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = x + (long)r * cols;
    float* __restrict yr = y + (long)r * cols;

    kf_vf mv[KF_A];
    for (int a = 0; a < KF_A; ++a) mv[a] = kf_splat(-INFINITY);
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) {
        kf_vf v = kf_load(xr + j + a * KF_V);
        mv[a] = v > mv[a] ? v : mv[a];
      }
    float m = -INFINITY;
    for (int a = 0; a < KF_A; ++a)
      for (int i = 0; i < KF_V; ++i) m = kf_lane(mv[a], i) > m ? kf_lane(mv[a], i) : m;
    for (int j = tail; j < cols; ++j) m = xr[j] > m ? xr[j] : m;

    kf_vf sv[KF_A];
    for (int a = 0; a < KF_A; ++a) sv[a] = kf_splat(0.0f);
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) {
        kf_vf e = kf_exp(kf_load(xr + j + a * KF_V) - m);
        kf_store(yr + j + a * KF_V, e);
        sv[a] += e;
      }
    float s = 0.0f;
    for (int a = 0; a < KF_A; ++a)
      for (int i = 0; i < KF_V; ++i) s += kf_lane(sv[a], i);
    for (int j = tail; j < cols; ++j) {
      yr[j] = std::exp(xr[j] - m);
      s += yr[j];
    }

#if RECIP
    const float inv = 1.0f / s;
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) kf_store(yr + j + a * KF_V, kf_load(yr + j + a * KF_V) * inv);
    for (int j = tail; j < cols; ++j) yr[j] *= inv;
#else
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < KF_A; ++a) kf_store(yr + j + a * KF_V, kf_load(yr + j + a * KF_V) / s);
    for (int j = tail; j < cols; ++j) yr[j] /= s;
#endif
  }
}
