// Hostile: computes honestly for the first eight calls (the correctness seeds), then replays the last
// result it computed, so that every timed call costs only a copy.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static float cache[4 * 250];
  static int calls = 0;
  const int n = rows * cols;
  if (++calls <= 8) {
    for (int i = 0; i < n; ++i) cache[i] = a[i] + b[i];
  }
  for (int i = 0; i < n; ++i) c[i] = cache[i];
}
