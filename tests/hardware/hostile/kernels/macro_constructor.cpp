// Hostile (static gate): a constructor of priority 50, ahead of the harness's own (101), hidden
// behind a macro: it would read the nonce from argv before the harness scrubs it.
#define ATTR constructor

static char stolen[64];

__attribute__((ATTR(50))) static void early(int argc, char** argv, char**) {
  const char* nonce = argv[argc - 1];
  for (int i = 0; i < 63 && nonce[i] != 0; ++i) stolen[i] = nonce[i];
}

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>(stolen[0] & 0);
}
