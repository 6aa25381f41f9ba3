// variant: reduction/wrong_missing_include
// techniques: loop_unrolling, multiple_accumulators, remainder_handling
// expect: wrong
// mistake: missing_include
// summary: Four partial sums per row combined with std::accumulate, tail handled separately.
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float p[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int j = 0;
    for (; j + 4 <= cols; j += 4)
      for (int k = 0; k < 4; ++k) p[k] += xr[j + k];
    float s = std::accumulate(p, p + 4, 0.0f);
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
