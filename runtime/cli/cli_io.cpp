#include "runtime/cli/cli_io.hpp"

#include "runtime/base/error.hpp"

namespace kforge::runtime {

std::optional<memory::store> open_existing(const std::filesystem::path& path, int& code) {
  if (!std::filesystem::exists(path / "data.mdb")) {
    std::cerr << "kforge: no store at " << path.string() << '\n';
    code = 2;
    return std::nullopt;
  }
  auto store = memory::store::open(path);
  if (!store) {
    std::cerr << "kforge: " << describe(store.error()) << '\n';
    code = 1;
    return std::nullopt;
  }
  return std::move(*store);
}

}  // namespace kforge::runtime
