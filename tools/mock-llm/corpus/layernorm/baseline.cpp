// variant: layernorm/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Straightforward three loops per row: mean, centred variance, then normalise with gamma and beta.
#include <cmath>
void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    double s = 0.0;
    for (int j = 0; j < cols; ++j) s += xr[j];
    const double mean = s / cols;
    double q = 0.0;
    for (int j = 0; j < cols; ++j) q += (xr[j] - mean) * (xr[j] - mean);
    const double rstd = 1.0 / std::sqrt(q / cols + 1e-5);
    for (int j = 0; j < cols; ++j) yr[j] = (float)((xr[j] - mean) * rstd * gamma[j] + beta[j]);
  }
}
