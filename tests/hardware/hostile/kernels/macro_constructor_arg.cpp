// Hostile (static gate): the attribute word travels as a macro argument, so neither the attribute
// nor any macro body names it; only the expanded source shows `__attribute__((constructor(50)))`.
#define EARLY(word, prio) __attribute__((word(prio)))

static char stolen[64];

EARLY(constructor, 50) static void early(int argc, char** argv, char**) {
  const char* nonce = argv[argc - 1];
  for (int i = 0; i < 63 && nonce[i] != 0; ++i) stolen[i] = nonce[i];
}

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>(stolen[0] & 0);
}
