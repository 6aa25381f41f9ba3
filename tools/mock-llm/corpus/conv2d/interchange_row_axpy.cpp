// variant: conv2d/interchange_row_axpy
// techniques: loop_interchange, restrict_aliasing, strength_reduction
// expect: correct
// mistake: none
// summary: Moved the kernel-tap loops outside the output-column loop, so each tap is one scalar weight times a unit-stride input row accumulated into a zeroed output row, which the compiler vectorizes.
void conv2d(const float* __restrict x, const float* __restrict w, float* __restrict y,
            int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh) {
      float* __restrict yr = y + ((long)oc * OH + oh) * OW;
      for (int ow = 0; ow < OW; ++ow) yr[ow] = 0.0f;
      for (int c = 0; c < C; ++c)
        for (int kh = 0; kh < K; ++kh) {
          const float* __restrict xr = x + ((long)c * H + oh + kh) * W;
          const float* wr = w + (((long)oc * C + c) * K + kh) * K;
          for (int kw = 0; kw < K; ++kw) {
            const float wv = wr[kw];
            const float* __restrict xs = xr + kw;
            for (int ow = 0; ow < OW; ++ow) yr[ow] += wv * xs[ow];
          }
        }
    }
}
