// GEMV template: y[M] = A[M][N] * x[N], row-major A (GCC vector extensions).
// Knobs:
//   VEC   lanes per accumulator vector (1, 4, 8, 16).
//   ACC   independent accumulator vectors per row (1, 2, 3, 4). The column loop
//         steps by VEC*ACC with NO remainder loop: wrong when N % (VEC*ACC) != 0.
//   ROWS  rows processed together, sharing each load of x (1, 2, 4). The row
//         loop has NO remainder: wrong when M % ROWS != 0.
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

void gemv(const float* __restrict A, const float* __restrict x, float* __restrict y,
          int M, int N) {
  constexpr int W = KF_V * KF_A;
  for (int i = 0; i + ROWS <= M; i += ROWS) {
    kf_vf acc[ROWS][KF_A];
    for (int r = 0; r < ROWS; ++r)
      for (int a = 0; a < KF_A; ++a) acc[r][a] = kf_splat(0.0f);
    for (int j = 0; j + W <= N; j += W)
      for (int a = 0; a < KF_A; ++a) {
        const kf_vf xv = kf_load(x + j + a * KF_V);
        for (int r = 0; r < ROWS; ++r)
          acc[r][a] += kf_load(A + (long)(i + r) * N + j + a * KF_V) * xv;
      }
    for (int r = 0; r < ROWS; ++r) {
      for (int a = 1; a < KF_A; ++a) acc[r][0] += acc[r][a];
      float s = 0.0f;
      for (int l = 0; l < KF_V; ++l) s += kf_lane(acc[r][0], l);
      y[i + r] = s;
    }
  }
}
