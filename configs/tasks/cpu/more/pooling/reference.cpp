// 2-D pooling, reference: NCHW with the batch folded into the channels, no padding,
// output (h - k) / s + 1 by (w - k) / s + 1; one plain loop nest over each window.
#include <algorithm>

static void pool(const float* x, float* y, int c, int h, int w, int k, int s, bool is_max) {
  const int oh = (h - k) / s + 1;
  const int ow = (w - k) / s + 1;
  for (int ch = 0; ch < c; ++ch)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j) {
        float acc = is_max ? x[((long)ch * h + i * s) * w + j * s] : 0.0f;
        for (int di = 0; di < k; ++di)
          for (int dj = 0; dj < k; ++dj) {
            float v = x[((long)ch * h + i * s + di) * w + j * s + dj];
            acc = is_max ? std::max(acc, v) : acc + v;
          }
        y[((long)ch * oh + i) * ow + j] = is_max ? acc : acc / (float)(k * k);
      }
}

void max_pool2d_k2s2(const float* x, float* y, int c, int h, int w) { pool(x, y, c, h, w, 2, 2, true); }
void max_pool2d_k3s2(const float* x, float* y, int c, int h, int w) { pool(x, y, c, h, w, 3, 2, true); }
void avg_pool2d_k2s2(const float* x, float* y, int c, int h, int w) { pool(x, y, c, h, w, 2, 2, false); }
void avg_pool2d_k3s2(const float* x, float* y, int c, int h, int w) { pool(x, y, c, h, w, 3, 2, false); }
