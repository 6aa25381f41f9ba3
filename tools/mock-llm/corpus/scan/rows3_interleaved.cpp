// variant: scan/rows3_interleaved
// techniques: row_interleaving, remainder_handling, restrict_aliasing
// expect: correct
// mistake: none
// summary: Ran three rows' running sums side by side in one loop so their add chains overlap, with a single-row loop for the leftover rows.
void cumsum_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  int r = 0;
  for (; r + 3 <= rows; r += 3) {
    const float* x0 = x + (long)r * cols;
    const float* x1 = x0 + cols;
    const float* x2 = x1 + cols;
    float* y0 = y + (long)r * cols;
    float* y1 = y0 + cols;
    float* y2 = y1 + cols;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f;
    for (int j = 0; j < cols; ++j) {
      s0 += x0[j]; s1 += x1[j]; s2 += x2[j];
      y0[j] = s0; y1[j] = s1; y2[j] = s2;
    }
  }
  for (; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) yr[j] = (s += xr[j]);
  }
}
