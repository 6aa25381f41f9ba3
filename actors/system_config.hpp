#pragma once

#include <caf/actor_system_config.hpp>

#include <cstddef>

namespace kforge::actors {

/// The actor-system config every kforge node uses: the kforge type-ID block
/// and error category registered, `threads` scheduler workers (0 = cores,
/// at least 2). No caf-application.ini is read.
class system_config : public caf::actor_system_config {
 public:
  explicit system_config(size_t threads = 0);
};

}  // namespace kforge::actors
