// Hostile (static gate): reads the clock, e.g. to behave differently while it is being timed.
#include <ctime>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>(t.tv_nsec & 0);
}
