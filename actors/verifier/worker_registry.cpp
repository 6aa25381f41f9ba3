#include "actors/verifier/worker_registry.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <deque>
#include <utility>

namespace kforge::actors {

namespace {

constexpr std::size_t max_pending = 256;  // challenges not yet answered; the oldest go first

struct registry_state {
  std::string secret;
  worker_router_actor router;
  std::deque<std::string> pending;  ///< nonces handed out and not yet used
  log::logger log{"kforge.workers"};
  static inline const char* name = "kforge.worker_registry";
};

using registry_pointer = worker_registry_actor::stateful_pointer<registry_state>;

worker_registry_actor::behavior_type registry_behavior(registry_pointer self, std::string secret,
                                                       worker_router_actor router) {
  self->state.secret = std::move(secret);
  self->state.router = std::move(router);
  return {
      [self](join_atom, const std::string& worker_nonce) -> caf::result<join_challenge> {
        auto& s = self->state;
        if (worker_nonce.size() < 16 || worker_nonce.size() > 128)
          return make_error(errc::bad_request, "join: the worker's nonce must have 16 to 128 characters");
        join_challenge c;
        c.nonce = random_hex(32);
        if (c.nonce.empty())
          return make_error(errc::internal, "join: no random bytes for a nonce");
        c.proof = join_answer(s.secret, "coordinator", worker_nonce);
        s.pending.push_back(c.nonce);
        while (s.pending.size() > max_pending)
          s.pending.pop_front();
        return c;
      },
      [self](join_atom, worker_offer& offer) -> caf::result<int64_t> {
        auto& s = self->state;
        auto it = std::find(s.pending.begin(), s.pending.end(), offer.nonce);
        bool known = it != s.pending.end();
        if (known)
          s.pending.erase(it);  // single use, right answer or not
        if (!known || !equal_in_constant_time(offer.answer, join_answer(s.secret, "worker", offer.nonce))) {
          s.log.warning("worker refused: wrong secret", {{"worker", offer.worker}, {"dev", offer.device}});
          return make_error(errc::refused, "the coordinator refused the join: wrong secret");
        }
        if (!offer.pool) {
          return make_error(errc::bad_request, "join: the offer holds no pool");
        }
        return self->delegate(s.router, join_atom_v, std::move(offer));
      },
  };
}

}  // namespace

std::string join_answer(const std::string& secret, const std::string& role, const std::string& nonce) {
  return hmac_sha256_hex(secret, role + "|" + nonce);
}

worker_registry_actor spawn_worker_registry(caf::actor_system& sys, std::string secret,
                                            worker_router_actor router) {
  return sys.spawn(registry_behavior, std::move(secret), std::move(router));
}

}  // namespace kforge::actors
