// Hostile (static gate): spawns a thread that keeps running after the call returns.
#include <thread>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  std::thread([c] {
    for (;;) c[0] = 0;
  }).detach();
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}
