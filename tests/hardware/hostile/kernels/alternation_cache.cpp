// Hostile: an output cache of two entries that bets on the timing loop alternating two input sets
// (1, 2, 1, 2, ...): the first two calls compute, every later call returns the result of the call
// two before it. Against inputs drawn from several sets in random order it returns wrong results.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static float cache[2][4 * 250];
  static long calls = 0;
  const int n = rows * cols;
  float* slot = cache[calls % 2];
  if (calls < 2) {
    for (int i = 0; i < n; ++i) slot[i] = a[i] + b[i];
  }
  for (int i = 0; i < n; ++i) c[i] = slot[i];
  ++calls;
}
