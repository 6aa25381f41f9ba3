// Hostile: does the work on the first call only and returns at once afterwards.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static bool done = false;
  if (done) return;
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  done = true;
}
