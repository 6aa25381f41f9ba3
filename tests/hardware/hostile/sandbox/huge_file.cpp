// Hostile: writes a file in 1 MiB pieces forever.
// Expected: killed by SIGXFSZ at the file size limit.
#include <cstdio>
#include <vector>

int main() {
  std::vector<char> piece(1 << 20, 'x');
  std::FILE* out = std::fopen("huge.bin", "wb");
  if (out == nullptr)
    return 2;
  for (;;) {
    if (std::fwrite(piece.data(), 1, piece.size(), out) != piece.size())
      return 3;
    std::fflush(out);
  }
}
