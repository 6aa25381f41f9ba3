// variant: softmax/online_fused
// techniques: fused_passes, reciprocal_multiply
// expect: correct
// mistake: none
// summary: Online softmax: one pass keeps a running maximum and rescales the running sum when it grows, then one pass writes the normalised exponentials.
#include <cmath>
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = -INFINITY, s = 0.0f;
    for (int j = 0; j < cols; ++j) {
      const float v = xr[j];
      if (v > m) {
        s = s * std::exp(m - v) + 1.0f;
        m = v;
      } else {
        s += std::exp(v - m);
      }
    }
    const float inv = 1.0f / s;
    for (int j = 0; j < cols; ++j) yr[j] = std::exp(xr[j] - m) * inv;
  }
}
