// variant: softmax/recip_scalar
// techniques: reciprocal_multiply, restrict_aliasing
// expect: correct
// mistake: none
// summary: Kept the scalar three-pass structure but multiply by the reciprocal of the row sum instead of dividing every element.
#include <cmath>
void softmax_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) {
      const float e = std::exp(xr[j] - m);
      yr[j] = e;
      s += e;
    }
    const float inv = 1.0f / s;
    for (int j = 0; j < cols; ++j) yr[j] *= inv;
  }
}
