// Hostile (static gate): inside a Python process (the KernelBench harness loads extensions into
// it), the Python C API could patch the harness's timer: PyRun_SimpleString with a monkey-patch.
int PyRun_SimpleString(const char*);

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static int patched = PyRun_SimpleString("import torch; torch.cuda.Event.elapsed_time = lambda s, e: 1e-3");
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>(patched & 0);
}
