// Hostile: prints a passing report on stdout and ends the process with status 0 before the harness reports.
#include <cstdio>
#include <cstdlib>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
  std::printf("all outputs match the reference\nmedian 0.001 us over 100 runs\n");
  std::fflush(stdout);
  std::exit(0);
}
