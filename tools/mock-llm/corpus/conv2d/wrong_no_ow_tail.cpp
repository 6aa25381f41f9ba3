// variant: conv2d/wrong_no_ow_tail
// techniques: simd_vectorization, register_blocking
// expect: wrong
// mistake: wrong_edge_handling
// summary: Eight output columns per AVX2 accumulator, two output channels per pass sharing each input load.
#ifdef __AVX2__
#include <immintrin.h>
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; oc += 2)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow + 8 <= OW; ow += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* xr = x + ((long)c * H + oh + kh) * W + ow;
            const float* w0 = w + (((long)oc * C + c) * K + kh) * K;
            const float* w1 = w0 + (long)C * K * K;
            for (int kw = 0; kw < K; ++kw) {
              const __m256 xv = _mm256_loadu_ps(xr + kw);
              a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_broadcast_ss(w0 + kw), xv));
              a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_broadcast_ss(w1 + kw), xv));
            }
          }
        _mm256_storeu_ps(y + ((long)oc * OH + oh) * OW + ow, a0);
        _mm256_storeu_ps(y + ((long)(oc + 1) * OH + oh) * OW + ow, a1);
      }
}
#else
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow + 8 <= OW; ow += 8)
        for (int l = 0; l < 8; ++l) {
          float s = 0.0f;
          for (int c = 0; c < C; ++c)
            for (int kh = 0; kh < K; ++kh)
              for (int kw = 0; kw < K; ++kw)
                s += x[((long)c * H + oh + kh) * W + ow + l + kw] * w[(((long)oc * C + c) * K + kh) * K + kw];
          y[((long)oc * OH + oh) * OW + ow + l] = s;
        }
}
#endif
