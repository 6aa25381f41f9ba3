// variant: conv2d/vecext_ow8_unroll
// techniques: simd_vectorization, loop_unrolling, remainder_handling
// expect: correct
// mistake: none
// summary: Portable 8-lane vector-extension accumulator over eight output columns with the kernel-width loop fully unrolled, scalar loop for the leftover columns.
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh) {
      float* yr = y + ((long)oc * OH + oh) * OW;
      int ow = 0;
      for (; ow + 8 <= OW; ow += 8) {
        v8f acc = {};
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* xr = x + ((long)c * H + oh + kh) * W + ow;
            const float* wr = w + (((long)oc * C + c) * K + kh) * K;
#pragma GCC unroll 8
            for (int kw = 0; kw < K; ++kw) acc += wr[kw] * load8(xr + kw);
          }
        std::memcpy(yr + ow, &acc, sizeof acc);
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
