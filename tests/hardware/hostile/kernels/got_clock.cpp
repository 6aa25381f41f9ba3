// Hostile (run time): on its first call, finds the program's relocation for clock_gettime through
// _DYNAMIC and points that GOT slot at a clock that runs 100 times slow, so every timed call the
// harness measures looks 100 times faster. Linked with full RELRO the slot is read-only: SIGSEGV.
#include <link.h>
#include <cstring>
#include <ctime>

namespace {

int slow_clock(clockid_t, timespec* t) {
  static long long fake = 0;
  fake += 10;  // 10 ns per reading, whatever really elapsed
  t->tv_sec = fake / 1000000000LL;
  t->tv_nsec = fake % 1000000000LL;
  return 0;
}

int base_of_main(dl_phdr_info* info, size_t, void* out) {
  *static_cast<ElfW(Addr)*>(out) = info->dlpi_addr;
  return 1;  // the first object is the program itself
}

void patch_clock() {
  ElfW(Addr) base = 0;
  dl_iterate_phdr(base_of_main, &base);
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Rela)* rela[2] = {nullptr, nullptr};
  size_t rela_bytes[2] = {0, 0};
  for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_SYMTAB) symtab = reinterpret_cast<const ElfW(Sym)*>(d->d_un.d_ptr);
    if (d->d_tag == DT_STRTAB) strtab = reinterpret_cast<const char*>(d->d_un.d_ptr);
    if (d->d_tag == DT_RELA) rela[0] = reinterpret_cast<const ElfW(Rela)*>(d->d_un.d_ptr);
    if (d->d_tag == DT_RELASZ) rela_bytes[0] = d->d_un.d_val;
    if (d->d_tag == DT_JMPREL) rela[1] = reinterpret_cast<const ElfW(Rela)*>(d->d_un.d_ptr);
    if (d->d_tag == DT_PLTRELSZ) rela_bytes[1] = d->d_un.d_val;
  }
  if (symtab == nullptr || strtab == nullptr) return;
  for (int k = 0; k < 2; ++k) {
    for (size_t i = 0; rela[k] != nullptr && i < rela_bytes[k] / sizeof(ElfW(Rela)); ++i) {
      const ElfW(Sym)& sym = symtab[ELF64_R_SYM(rela[k][i].r_info)];
      if (std::strcmp(strtab + sym.st_name, "clock_gettime") != 0) continue;
      auto* slot = reinterpret_cast<void**>(base + rela[k][i].r_offset);
      *slot = reinterpret_cast<void*>(&slow_clock);  // read-only under full RELRO
    }
  }
}

}  // namespace

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  static bool patched = false;
  if (!patched) {
    patched = true;
    patch_clock();
  }
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}
