// Row-sum template (GCC vector extensions).
// Knobs:
//   VEC     lanes per accumulator vector (1, 4, 8, 16).
//   ACC     independent accumulator vectors (1, 2, 3, 4): break the FP add
//           dependency chain. The row loop steps by VEC*ACC with NO remainder
//           loop: wrong when cols % (VEC*ACC) != 0.
//   UNROLL  #pragma GCC unroll factor for the row loop (1, 2, 4).
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

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

void row_sum(const float* __restrict x, float* __restrict y, int rows, int cols) {
  constexpr int W = VEC * ACC;
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = x + (long)r * cols;
    kf_vf acc[ACC];
    for (int a = 0; a < ACC; ++a) acc[a] = kf_splat(0.0f);
    KF_UNROLL(UNROLL)
    for (int j = 0; j + W <= cols; j += W)
      for (int a = 0; a < ACC; ++a) acc[a] += kf_load(xr + j + a * VEC);
    for (int a = 1; a < ACC; ++a) acc[0] += acc[a];
    float s = 0.0f;
    for (int i = 0; i < VEC; ++i) s += kf_lane(acc[0], i);
    y[r] = s;
  }
}
