// Hostile: computes the first result, then exit(0) so that nothing after the first call is checked.
#include <cstdlib>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  std::exit(0);
}
