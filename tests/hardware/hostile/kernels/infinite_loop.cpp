// Hostile: never returns.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  volatile int spin = 1;
  while (spin) {
  }
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}
