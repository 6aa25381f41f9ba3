// variant: scan/wrong_carry_not_reset
// techniques: row_interleaving, loop_unrolling, remainder_handling
// expect: wrong
// mistake: uninitialized_accumulator
// summary: Two rows' running sums interleaved in one loop unrolled by two, with the running sums kept in registers across the whole row loop.
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  float s0 = 0.0f, s1 = 0.0f;
  int r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float* x0 = x + (long)r * cols;
    const float* x1 = x0 + cols;
    float* y0 = y + (long)r * cols;
    float* y1 = y0 + cols;
    int j = 0;
    for (; j + 2 <= cols; j += 2) {
      s0 += x0[j]; s1 += x1[j];
      y0[j] = s0; y1[j] = s1;
      s0 += x0[j + 1]; s1 += x1[j + 1];
      y0[j + 1] = s0; y1[j + 1] = s1;
    }
    for (; j < cols; ++j) { y0[j] = (s0 += x0[j]); y1[j] = (s1 += x1[j]); }
  }
  for (; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) y[(long)r * cols + j] = (s += x[(long)r * cols + j]);
  }
}
