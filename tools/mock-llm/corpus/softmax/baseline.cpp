// variant: softmax/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Three plain passes per row: maximum, exponentials with their sum, then division by the sum.
#include <algorithm>
#include <cmath>
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = std::max(m, xr[j]);
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) {
      yr[j] = std::exp(xr[j] - m);
      s += yr[j];
    }
    for (int j = 0; j < cols; ++j) yr[j] /= s;
  }
}
