// Hostile: computes correctly, but writes junk to every descriptor 3..64 on every call, hoping to hit
// (and corrupt or pre-empt) the harness's result channel.
#include <unistd.h>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  static const char junk[] = "junk junk junk 0123456789abcdef";
  for (int fd = 3; fd <= 64; ++fd) static_cast<void>(write(fd, junk, sizeof junk - 1));
}
