// Direct 2-D convolution reference, batch 1, NCHW, stride 1, no padding:
// y[oc][oh][ow] = sum_{c,kh,kw} x[c][oh+kh][ow+kw] * w[oc][c][kh][kw],
// with OH = H - K + 1 and OW = W - K + 1.
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
