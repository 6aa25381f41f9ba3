#include "actors/system_config.hpp"

#include "actors/type_ids.hpp"
#include "runtime/base/error.hpp"

#include <algorithm>
#include <string>
#include <thread>

namespace kforge::actors {

system_config::system_config(size_t threads) {
  add_message_types<caf::id_block::kforge>();
  add_error_category(error_category,
                     [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
                       std::string out = to_string(static_cast<errc>(code));
                       if (ctx.size() == 1 && ctx.match_element<std::string>(0))
                         out += ": " + ctx.get_as<std::string>(0);
                       return out;
                     });
  if (threads == 0)
    threads = std::max<size_t>(2, std::thread::hardware_concurrency());
  set("scheduler.max-threads", threads);
}

}  // namespace kforge::actors
