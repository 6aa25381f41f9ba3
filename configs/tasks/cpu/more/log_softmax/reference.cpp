// Row-wise log-softmax, reference: three plain passes per row (max, sum of exp, subtract).
#include <cmath>
#include <algorithm>

void log_softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = std::max(m, xr[j]);
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += std::exp(xr[j] - m);
    float shift = m + std::log(s);
    for (int j = 0; j < cols; ++j) yr[j] = xr[j] - shift;
  }
}
