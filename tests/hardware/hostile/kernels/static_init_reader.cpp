// Hostile: a global initializer (it runs before main) reads both seeds' input files and opens the
// result channel by name, to answer from the files and to write into the channel before the harness
// can hide them. The kernel only ever copies what the initializer found, and gives up (exit) if it
// found nothing.
#include <cstdio>
#include <cstdlib>

namespace {

float g_sums[2][4 * 250];
bool g_found = false;

bool read_sums(const char* path, float* sums) {
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  static float data[2 * 4 * 250];
  std::fseek(f, 8 + 4 + 4 + 2 * 8, SEEK_SET);
  bool ok = std::fread(data, sizeof(float), 2 * 1000, f) == 2 * 1000;
  std::fclose(f);
  for (int i = 0; ok && i < 1000; ++i) sums[i] = data[i] + data[1000 + i];
  return ok;
}

int steal() {
  g_found = read_sums("in_1.bin", g_sums[0]) && read_sums("in_2.bin", g_sums[1]);
  std::FILE* channel = std::fopen("channel", "r+b");
  if (channel != nullptr) {
    std::fputs("KFRECORD forged before main", channel);
    std::fclose(channel);
  }
  std::printf("static initializer: inputs %s, channel %s\n", g_found ? "found" : "gone",
              channel != nullptr ? "found" : "gone");
  return 1;
}

const int g_stolen = steal();

}  // namespace

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static_cast<void>(a);
  static_cast<void>(b);
  static int calls = 0;
  if (!g_found || g_stolen != 1) std::exit(0);
  const float* sums = g_sums[calls++ % 2];
  for (int i = 0; i < rows * cols; ++i) c[i] = sums[i];
}
