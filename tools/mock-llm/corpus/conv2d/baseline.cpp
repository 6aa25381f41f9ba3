// variant: conv2d/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain direct convolution, one output pixel at a time summing over input channels and the kernel window.
void conv2d(const float* x, const float* w, float* y, int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow < OW; ++ow) {
        float s = 0.0f;
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* xr = x + ((long)c * H + oh + kh) * W + ow;
            const float* wr = w + (((long)oc * C + c) * K + kh) * K;
            for (int kw = 0; kw < K; ++kw) s += xr[kw] * wr[kw];
          }
        y[((long)oc * OH + oh) * OW + ow] = s;
      }
}
