// RMS norm over rows, reference: y = x / sqrt(mean(x^2) + 1e-5) * w, two plain passes per row.
#include <cmath>

void rms_norm(const float* x, const float* w, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float ss = 0.0f;
    for (int j = 0; j < cols; ++j) ss += xr[j] * xr[j];
    float inv = 1.0f / std::sqrt(ss / cols + 1e-5f);
    for (int j = 0; j < cols; ++j) yr[j] = xr[j] * inv * w[j];
  }
}
