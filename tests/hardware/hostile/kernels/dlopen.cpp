// Hostile (static gate): loads a shared library at run time.
#include <dlfcn.h>

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  void* lib = dlopen("libm.so.6", RTLD_NOW);
  static_cast<void>(lib);
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}
