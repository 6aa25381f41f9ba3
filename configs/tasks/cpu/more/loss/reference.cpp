// Losses, reference: one scalar out[0] per call, summed in double in one plain pass.
//   mse_loss:      mean over n of (pred - target)^2.
//   cross_entropy: mean over rows of logsumexp(logits row) - logits[r][c], where the class
//                  c = min(cols - 1, (int)(target[r] * cols)) (target in [0, 1): a class
//                  index that does not depend on the shape).
#include <cmath>
#include <algorithm>

void mse_loss(const float* pred, const float* target, float* out, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) {
    double d = (double)pred[i] - (double)target[i];
    s += d * d;
  }
  out[0] = (float)(s / n);
}

void cross_entropy(const float* logits, const float* target, float* out, int rows, int cols) {
  double total = 0.0;
  for (int r = 0; r < rows; ++r) {
    const float* xr = logits + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = std::max(m, xr[j]);
    double s = 0.0;
    for (int j = 0; j < cols; ++j) s += std::exp((double)xr[j] - m);
    int c = std::min(cols - 1, (int)(target[r] * (float)cols));
    total += std::log(s) + m - xr[c];
  }
  out[0] = (float)(total / rows);
}
