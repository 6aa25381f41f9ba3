// GEMV template: y[M] = A[M][N] * x[N], row-major A (GCC vector extensions).
// Knobs:
//   VEC   lanes per accumulator vector (1, 4, 8, 16).
//   ACC   independent accumulator vectors per row (1, 2, 3, 4). The column loop
//         steps by VEC*ACC with NO remainder loop: wrong when N % (VEC*ACC) != 0.
//   ROWS  rows processed together, sharing each load of x (1, 2, 4). The row
//         loop has NO remainder: wrong when M % ROWS != 0.
#include <cstring>

// kf_vf: VEC float lanes (a plain float when VEC == 1).
#if VEC == 1
typedef float kf_vf;
static inline float kf_lane(kf_vf v, int) { return v; }
#else
typedef float kf_vf __attribute__((vector_size(VEC * sizeof(float))));
static inline float kf_lane(kf_vf v, int i) { return v[i]; }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }
static inline kf_vf kf_splat(float s) { kf_vf v = {}; return v + s; }

void gemv(const float* __restrict A, const float* __restrict x, float* __restrict y,
          int M, int N) {
  constexpr int W = VEC * ACC;
  for (int i = 0; i + ROWS <= M; i += ROWS) {
    kf_vf acc[ROWS][ACC];
    for (int r = 0; r < ROWS; ++r)
      for (int a = 0; a < ACC; ++a) acc[r][a] = kf_splat(0.0f);
    for (int j = 0; j + W <= N; j += W)
      for (int a = 0; a < ACC; ++a) {
        const kf_vf xv = kf_load(x + j + a * VEC);
        for (int r = 0; r < ROWS; ++r)
          acc[r][a] += kf_load(A + (long)(i + r) * N + j + a * VEC) * xv;
      }
    for (int r = 0; r < ROWS; ++r) {
      for (int a = 1; a < ACC; ++a) acc[r][0] += acc[r][a];
      float s = 0.0f;
      for (int l = 0; l < VEC; ++l) s += kf_lane(acc[r][0], l);
      y[i + r] = s;
    }
  }
}
