// variant: reduction/scalar_unroll4
// techniques: loop_unrolling, multiple_accumulators, remainder_handling
// expect: correct
// mistake: none
// summary: Unrolled the column loop by four into four scalar partial sums, with a cleanup loop for the last columns.
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      s0 += xr[j];
      s1 += xr[j + 1];
      s2 += xr[j + 2];
      s3 += xr[j + 3];
    }
    for (; j < cols; ++j) s0 += xr[j];
    y[r] = (s0 + s1) + (s2 + s3);
  }
}
