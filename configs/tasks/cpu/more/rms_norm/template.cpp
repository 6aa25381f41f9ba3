// RMS norm over rows template (GCC vector extensions, VEC float lanes per vector):
// y = x / sqrt(mean(x^2) + 1e-5) * w. Every setting is correct for every shape:
// each row loop steps by VEC*ACC and a scalar remainder loop finishes the row.
// Knobs:
//   VEC   lanes per vector (1, 4, 8, 16).
//   ACC   independent sum-of-squares vectors (1, 2, 4): breaks the dependency chain.
//   SCALE 0: x * inv * w per element (the reference's order);
//         1: x * (w * inv), the row's scale folded into the weight first.
#include <cmath>
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

void rms_norm(const float* __restrict x, const float* __restrict w, float* __restrict y, int rows, int cols) {
  constexpr int W = VEC * ACC;
  const int main_cols = cols - cols % W;
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = x + (long)r * cols;
    float* __restrict yr = y + (long)r * cols;

    kf_vf sv[ACC];
    for (int a = 0; a < ACC; ++a) sv[a] = kf_splat(0.0f);
    for (int j = 0; j < main_cols; j += W)
      for (int a = 0; a < ACC; ++a) {
        kf_vf v = kf_load(xr + j + a * VEC);
        sv[a] += v * v;
      }
    float ss = 0.0f;
    for (int a = 0; a < ACC; ++a)
      for (int i = 0; i < VEC; ++i) ss += kf_lane(sv[a], i);
    for (int j = main_cols; j < cols; ++j) ss += xr[j] * xr[j];

    const float inv = 1.0f / std::sqrt(ss / cols + 1e-5f);
    for (int j = 0; j < main_cols; j += W)
      for (int a = 0; a < ACC; ++a) {
        const int k = j + a * VEC;
#if SCALE == 0
        kf_store(yr + k, kf_load(xr + k) * inv * kf_load(w + k));
#else
        kf_store(yr + k, kf_load(xr + k) * (kf_load(w + k) * inv));
#endif
      }
    for (int j = main_cols; j < cols; ++j) yr[j] = xr[j] * inv * w[j];
  }
}
