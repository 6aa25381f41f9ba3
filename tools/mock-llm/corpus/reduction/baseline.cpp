// variant: reduction/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain row-by-row loop with one running sum per row.
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
