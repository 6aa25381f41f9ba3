// 2-D pooling template: max and average, 2x2 and 3x3 windows at stride 2, NCHW with the
// batch folded into the channels, no padding. Every setting is correct for every shape
// (a scalar remainder loop finishes each output row).
// Knobs:
//   VEC     output columns per step of the main loop (1, 4, 8, 16).
//   ROWWISE 0: each output element reduces its whole K x K window;
//           1: each output row is built one window row at a time (K streaming passes
//              over contiguous input rows, the partial results kept in the output row).
#include <cmath>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

template <bool MAX>
static inline float kf_combine(float acc, float v) {
  return MAX ? (v > acc ? v : acc) : acc + v;
}

// One window row of K inputs starting at p, folded into acc.
template <int K, bool MAX>
static inline float kf_row(float acc, const float* p) {
  for (int d = 0; d < K; ++d) acc = kf_combine<MAX>(acc, p[d]);
  return acc;
}

template <int K, int S, bool MAX>
static void kf_pool(const float* __restrict x, float* __restrict y, int c, int h, int w) {
  const int oh = (h - K) / S + 1;
  const int ow = (w - K) / S + 1;
  const float scale = 1.0f / (K * K);
  for (int ch = 0; ch < c; ++ch) {
    const float* __restrict xc = x + (long)ch * h * w;
    float* __restrict yc = y + (long)ch * oh * ow;
    for (int i = 0; i < oh; ++i) {
      float* __restrict yr = yc + (long)i * ow;
      const float* __restrict x0 = xc + (long)i * S * w;
#if ROWWISE
      for (int j = 0; j < ow; ++j) yr[j] = kf_row<K, MAX>(MAX ? x0[j * S] : 0.0f, x0 + j * S);
      for (int d = 1; d < K; ++d) {
        const float* __restrict xd = x0 + (long)d * w;
        int j = 0;
        for (; j + VEC <= ow; j += VEC) {
          KF_UNROLL(VEC)
          for (int v = 0; v < VEC; ++v) yr[j + v] = kf_row<K, MAX>(yr[j + v], xd + (j + v) * S);
        }
        for (; j < ow; ++j) yr[j] = kf_row<K, MAX>(yr[j], xd + j * S);
      }
      if (!MAX)
        for (int j = 0; j < ow; ++j) yr[j] *= scale;
#else
      int j = 0;
      for (; j + VEC <= ow; j += VEC) {
        KF_UNROLL(VEC)
        for (int v = 0; v < VEC; ++v) {
          float acc = MAX ? x0[(j + v) * S] : 0.0f;
          for (int d = 0; d < K; ++d) acc = kf_row<K, MAX>(acc, x0 + (long)d * w + (j + v) * S);
          yr[j + v] = MAX ? acc : acc * scale;
        }
      }
      for (; j < ow; ++j) {
        float acc = MAX ? x0[j * S] : 0.0f;
        for (int d = 0; d < K; ++d) acc = kf_row<K, MAX>(acc, x0 + (long)d * w + j * S);
        yr[j] = MAX ? acc : acc * scale;
      }
#endif
    }
  }
}

void max_pool2d_k2s2(const float* x, float* y, int c, int h, int w) { kf_pool<2, 2, true>(x, y, c, h, w); }
void max_pool2d_k3s2(const float* x, float* y, int c, int h, int w) { kf_pool<3, 2, true>(x, y, c, h, w); }
void avg_pool2d_k2s2(const float* x, float* y, int c, int h, int w) { kf_pool<2, 2, false>(x, y, c, h, w); }
void avg_pool2d_k3s2(const float* x, float* y, int c, int h, int w) { kf_pool<3, 2, false>(x, y, c, h, w); }
