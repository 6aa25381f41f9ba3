// Row reductions, reference: one plain pass per row.
//   row_max:  y[r] = the largest x[r][j].
//   row_mean: y[r] = the mean of x[r][j].

void row_max(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float m = x[(long)r * cols];
    for (int j = 1; j < cols; ++j) m = x[(long)r * cols + j] > m ? x[(long)r * cols + j] : m;
    y[r] = m;
  }
}

void row_mean(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += x[(long)r * cols + j];
    y[r] = s / cols;
  }
}
