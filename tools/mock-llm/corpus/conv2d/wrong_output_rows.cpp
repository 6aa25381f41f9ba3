// variant: conv2d/wrong_output_rows
// techniques: loop_interchange, restrict_aliasing
// expect: wrong
// mistake: off_by_one
// summary: Kernel-tap loops moved outside the output-column loop so each tap is a vectorizable scalar-times-row accumulation into a zeroed output row.
void conv2d(const float* __restrict x, const float* __restrict w, float* __restrict y,
            int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh + K < H; ++oh) {
      float* __restrict yr = y + ((long)oc * OH + oh) * OW;
      for (int ow = 0; ow < OW; ++ow) yr[ow] = 0.0f;
      for (int c = 0; c < C; ++c)
        for (int kh = 0; kh < K; ++kh)
          for (int kw = 0; kw < K; ++kw) {
            const float wv = w[(((long)oc * C + c) * K + kh) * K + kw];
            const float* __restrict xs = x + ((long)c * H + oh + kh) * W + kw;
            for (int ow = 0; ow < OW; ++ow) yr[ow] += wv * xs[ow];
          }
    }
}
