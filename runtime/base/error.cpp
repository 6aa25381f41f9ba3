#include "runtime/base/error.hpp"

#include <caf/message.hpp>

namespace kforge {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::none:
      return "none";
    case errc::bad_config:
      return "bad_config";
    case errc::bad_task:
      return "bad_task";
    case errc::io_failed:
      return "io_failed";
    case errc::store_failed:
      return "store_failed";
    case errc::store_map_full:
      return "store_map_full";
    case errc::store_corrupt:
      return "store_corrupt";
    case errc::not_found:
      return "not_found";
    case errc::sandbox_failed:
      return "sandbox_failed";
    case errc::compile_failed:
      return "compile_failed";
    case errc::reference_failed:
      return "reference_failed";
    case errc::queue_full:
      return "queue_full";
    case errc::budget_exhausted:
      return "budget_exhausted";
    case errc::llm_failed:
      return "llm_failed";
    case errc::llm_unreachable:
      return "llm_unreachable";
    case errc::timed_out:
      return "timed_out";
    case errc::refused:
      return "refused";
    case errc::bad_request:
      return "bad_request";
    case errc::cancelled:
      return "cancelled";
    case errc::internal:
      return "internal";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string context) {
  return caf::error(static_cast<uint8_t>(code), error_category, caf::make_message(std::move(context)));
}

caf::error make_error(errc code) {
  return caf::error(static_cast<uint8_t>(code), error_category);
}

errc code_of(const caf::error& err) noexcept {
  if (!err || err.category() != error_category)
    return errc::none;
  return static_cast<errc>(err.code());
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != error_category)
    return caf::to_string(err);
  std::string out = to_string(static_cast<errc>(err.code()));
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  }
  return out;
}

}  // namespace kforge
