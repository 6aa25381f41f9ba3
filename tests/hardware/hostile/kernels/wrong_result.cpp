// Hostile: a difference instead of a sum.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] - b[i];
}
