// variant: conv2d/avx2_ow8
// techniques: simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Eight adjacent output columns per AVX2 register, each tap a broadcast weight times an unaligned load of the shifted input row, scalar loop for the leftover columns.
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh) {
      float* yr = y + ((long)oc * OH + oh) * OW;
      int ow = 0;
      for (; ow + 8 <= OW; ow += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* xr = x + ((long)c * H + oh + kh) * W + ow;
            const float* wr = w + (((long)oc * C + c) * K + kh) * K;
            for (int kw = 0; kw < K; ++kw)
              acc = FMADD(_mm256_broadcast_ss(wr + kw), _mm256_loadu_ps(xr + kw), acc);
          }
        _mm256_storeu_ps(yr + ow, acc);
      }
      for (; ow < OW; ++ow) {
        float s = 0.0f;
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh)
            for (int kw = 0; kw < K; ++kw)
              s += x[((long)c * H + oh + kh) * W + ow + kw] * w[(((long)oc * C + c) * K + kh) * K + kw];
        yr[ow] = s;
      }
    }
}
#else
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow < OW; ++ow) {
        float s = 0.0f;
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh)
            for (int kw = 0; kw < K; ++kw)
              s += x[((long)c * H + oh + kh) * W + ow + kw] * w[(((long)oc * C + c) * K + kh) * K + kw];
        y[((long)oc * OH + oh) * OW + ow] = s;
      }
}
#endif
