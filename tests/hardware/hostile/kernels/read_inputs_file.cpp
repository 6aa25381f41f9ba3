// Hostile: ignores its arguments and reads the inputs from the run directory instead.
#include <cstdio>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static_cast<void>(a);
  static_cast<void>(b);
  std::FILE* f = std::fopen("in_1.bin", "rb");
  if (f == nullptr) return;
  const int n = rows * cols;
  static float data[2 * 4 * 250];
  std::fseek(f, 8 + 4 + 4 + 2 * 8, SEEK_SET);
  if (std::fread(data, sizeof(float), static_cast<std::size_t>(2 * n), f) == static_cast<std::size_t>(2 * n)) {
    for (int i = 0; i < n; ++i) c[i] = data[i] + data[n + i];
  }
  std::fclose(f);
}
