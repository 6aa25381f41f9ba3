// variant: scan/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain row-by-row running sum, storing the running value after every element.
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) {
      s += xr[j];
      yr[j] = s;
    }
  }
}
