// Hostile: a correct sum except for one NaN.
#include <limits>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  c[5] = std::numeric_limits<float>::quiet_NaN();
}
