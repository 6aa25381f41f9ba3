// variant: conv2d/avx2_oc4_packed
// techniques: register_blocking, packing, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Register-blocked four output channels by eight output columns in four AVX2 accumulators, each input load reused across the four channels, weights repacked so a tap's four channel weights are adjacent; edge paths for leftover channels and columns.
#include <vector>
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
#endif
static float pixel(const float* x, const float* w, int C, int H, int W, int K, int oc, int oh, int ow) {
  float s = 0.0f;
  for (int c = 0; c < C; ++c)
    for (int kh = 0; kh < K; ++kh)
      for (int kw = 0; kw < K; ++kw)
        s += x[((long)c * H + oh + kh) * W + ow + kw] * w[(((long)oc * C + c) * K + kh) * K + kw];
  return s;
}
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  const int taps = C * K * K;
  int oc0 = 0;
#ifdef __AVX2__
  // wp[t][r] = w[oc0 + r][t] for the current block of four output channels.
  std::vector<float> wp((size_t)taps * 4);
  for (; oc0 + 4 <= OC; oc0 += 4) {
    for (int t = 0; t < taps; ++t)
      for (int r = 0; r < 4; ++r) wp[(size_t)t * 4 + r] = w[(long)(oc0 + r) * taps + t];
    for (int oh = 0; oh < OH; ++oh) {
      int ow = 0;
      for (; ow + 8 <= OW; ow += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const float* wt = wp.data();
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* xr = x + ((long)c * H + oh + kh) * W + ow;
            for (int kw = 0; kw < K; ++kw, wt += 4) {
              const __m256 xv = _mm256_loadu_ps(xr + kw);
              a0 = FMADD(_mm256_broadcast_ss(wt), xv, a0);
              a1 = FMADD(_mm256_broadcast_ss(wt + 1), xv, a1);
              a2 = FMADD(_mm256_broadcast_ss(wt + 2), xv, a2);
              a3 = FMADD(_mm256_broadcast_ss(wt + 3), xv, a3);
            }
          }
        _mm256_storeu_ps(y + ((long)(oc0 + 0) * OH + oh) * OW + ow, a0);
        _mm256_storeu_ps(y + ((long)(oc0 + 1) * OH + oh) * OW + ow, a1);
        _mm256_storeu_ps(y + ((long)(oc0 + 2) * OH + oh) * OW + ow, a2);
        _mm256_storeu_ps(y + ((long)(oc0 + 3) * OH + oh) * OW + ow, a3);
      }
      for (; ow < OW; ++ow)
        for (int r = 0; r < 4; ++r) y[((long)(oc0 + r) * OH + oh) * OW + ow] = pixel(x, w, C, H, W, K, oc0 + r, oh, ow);
    }
  }
#endif
  for (int oc = oc0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow < OW; ++ow) y[((long)oc * OH + oh) * OW + ow] = pixel(x, w, C, H, W, K, oc, oh, ow);
}
