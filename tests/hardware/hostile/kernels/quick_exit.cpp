// Hostile: quick_exit(0) on the second call, after a correct first result.
#include <cstdlib>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static int calls = 0;
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  if (++calls == 2) std::quick_exit(0);
}
