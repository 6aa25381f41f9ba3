// Hostile: returns the reference's output for seed 1, hard-coded (the test fills in the table).
namespace {
const float expected[] = {@SEED1_OUTPUT@};
}

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static_cast<void>(a);
  static_cast<void>(b);
  for (int i = 0; i < rows * cols; ++i) c[i] = expected[i];
}
