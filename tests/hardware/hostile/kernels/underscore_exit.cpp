// Hostile: _exit(0) skips every exit handler, the harness's included.
#include <unistd.h>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  _exit(0);
}
