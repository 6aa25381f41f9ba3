#include "tests/support/temp_store.hpp"

#include "runtime/base/error.hpp"

#include <stdexcept>
#include <utility>

namespace kforge::test {

temp_store::temp_store(std::size_t map_size_bytes) {
  opts_.map_size_bytes = map_size_bytes;
  opts_.no_sync = true;
  reopen();
}

memory::store& temp_store::store() {
  if (!store_)
    throw std::logic_error("temp_store: store is closed");
  return *store_;
}

void temp_store::close() noexcept {
  store_.reset();
}

void temp_store::reopen() {
  close();
  auto opened = memory::store::open(store_path(), opts_);
  if (!opened)
    throw std::runtime_error("temp_store: " + describe(opened.error()));
  store_.emplace(std::move(*opened));
}

}  // namespace kforge::test
