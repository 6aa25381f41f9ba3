// Element-wise sum template.
// Knobs: UNROLL  unroll factor of the loop (1, 2, 4);
//        STEP    1 is right; 3 skips elements, leaving outputs unwritten (wrong on purpose).
#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  const int n = rows * cols;
  KF_UNROLL(UNROLL)
  for (int i = 0; i < n; i += STEP) c[i] = a[i] + b[i];
}
