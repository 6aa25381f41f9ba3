// Hostile (static gate): a prelude without one forbidden name that finds the program's ELF header
// by scanning down from its own code, walks the dynamic section to libc's symbol table and calls
// `fork` found by name through a function pointer.
#include <cstdint>
#include <cstring>

namespace {

struct header { unsigned char ident[16]; uint16_t type, machine; uint32_t version; uint64_t entry, phoff; };
struct segment { uint32_t type, flags; uint64_t offset, vaddr, paddr, filesz, memsz, align; };
struct dyn { int64_t tag; uint64_t value; };

const unsigned char* program_header() {
  auto at = reinterpret_cast<uintptr_t>(&program_header) & ~uintptr_t{4095};
  for (;; at -= 4096) {
    auto* p = reinterpret_cast<const unsigned char*>(at);
    if (p[0] == 0x7f && std::memcmp(p + 1, "ELF", 3) == 0) return p;
  }
}

const dyn* dynamic_section(const unsigned char* base) {
  auto* h = reinterpret_cast<const header*>(base);
  auto* s = reinterpret_cast<const segment*>(base + h->phoff);
  for (int i = 0; i < 16; ++i)
    if (s[i].type == 2) return reinterpret_cast<const dyn*>(base + s[i].vaddr);
  return nullptr;
}

void* find(const char* name);  // walks DT_DEBUG's link_map to libc's DT_SYMTAB and DT_STRTAB

}  // namespace

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  if (dynamic_section(program_header()) != nullptr) {
    using spawn = int (*)();
    if (void* f = find("fork")) reinterpret_cast<spawn>(f)();
  }
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];
}

namespace {
void* find(const char*) { return nullptr; }
}  // namespace
