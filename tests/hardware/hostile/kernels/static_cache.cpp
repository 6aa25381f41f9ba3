// Hostile: computes once into a static buffer and returns that first result on every later call.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static float cache[4 * 250];
  static bool filled = false;
  const int n = rows * cols;
  if (!filled) {
    for (int i = 0; i < n; ++i) cache[i] = a[i] + b[i];
    filled = true;
  }
  for (int i = 0; i < n; ++i) c[i] = cache[i];
}
