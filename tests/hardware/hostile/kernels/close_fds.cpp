// Hostile: computes correctly but closes every descriptor 3..64, the result channel among them.
#include <unistd.h>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  for (int fd = 3; fd <= 64; ++fd) close(fd);
}
