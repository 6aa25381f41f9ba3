#include "actors/llm_proxy/llm_proxy_actor.hpp"

#include "actors/llm_proxy/endpoint_bandit.hpp"
#include "actors/llm_proxy/http_client.hpp"
#include "actors/llm_proxy/llm_budget.hpp"
#include "actors/llm_proxy/openai_protocol.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/llm_proxy/response_parser.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/wall_clock.hpp"

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <random>

namespace kforge::actors {

namespace {

using json = nlohmann::json;

// A call's latency (llm_call_record::latency_ms): a measurement that is recorded, never
// decided on. Decisions (token buckets, dispatch waits) use clock_ms, the actor clock.
double steady_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One endpoint at run time: its settings, URL, limits and load.
struct endpoint_state {
  endpoint_config cfg;
  url_parts url;
  token_bucket requests;
  token_bucket tokens;
  int32_t in_flight = 0;
};

// One proposal call from a task, across its attempts.
struct llm_call {
  uint64_t id = 0;
  caf::typed_response_promise<policy_reply> promise;
  policy_request request;
  const kforge::task_def* task = nullptr;
  prompt text;
  std::string hash;
  int32_t n = 1;
  int32_t attempts = 0;
  std::vector<std::string> errors;
  int32_t endpoint = -1;    // of the attempt in flight, or of the last one
  bool attempting = false;  // an HTTP attempt is in flight (its http_done is due)
  std::string choice;
  double started_ms = 0;  // steady clock, first attempt
  int64_t reserved_tokens = 0;
  double reserved_cost = 0;
};

struct llm_proxy_state {
  std::shared_ptr<const kforge::task_map> tasks;
  llm_proxy_config cfg;
  // openai backend
  std::unique_ptr<http_client> own_client;      // the real client, unless cfg.transport is set
  std::shared_ptr<http_transport> client_seam;  // cfg.transport
  http_transport* client = nullptr;             // the one in use
  std::vector<endpoint_state> endpoints;
  std::unique_ptr<endpoint_bandit> bandit;
  std::unique_ptr<llm_budget> budget;
  bool budget_spent = false;
  std::deque<uint64_t> queue;  // calls waiting for an endpoint
  std::map<uint64_t, llm_call> calls;
  uint64_t next_id = 1;
  bool dispatch_scheduled = false;
  std::mt19937_64 rng;
  std::map<std::string, int32_t> origin;  // SHA-256 of a proposed source -> endpoint, until its verdict
  std::deque<std::string> origin_order;   // insertion order, to bound `origin`
  int64_t cache_hits = 0;
  int64_t retries = 0;
  log::logger log{"kforge.llm"};
  static inline const char* name = "kforge.llm_proxy";
};

using proxy_pointer = llm_proxy_actor::stateful_pointer<llm_proxy_state>;

// The actor clock in ms, for every decision that depends on time: the same steady clock as
// std::chrono::steady_clock in production, the fixture clock under the testing scheduler.
double clock_ms(const caf::actor_clock& clock) {
  return std::chrono::duration<double, std::milli>(clock.now().time_since_epoch()).count();
}

// The proposals of a reply's completions: a kernel each, or a parse failure.
// `call_id` is the llm_calls key the completions are recorded under.
std::vector<proposal> to_proposals(const llm_call& call, const std::vector<std::string>& contents,
                                   const std::string& call_id, int32_t& usable) {
  std::vector<proposal> out;
  usable = 0;
  auto function = function_name(call.task->signature);
  std::vector<std::string> context_ids;
  for (const auto& item : call.request.context)
    context_ids.push_back(item.id);
  for (const auto& content : contents) {
    auto parsed =
        call.task->backend == "kernelbench" ? parse_model_new(content) : parse_kernel(content, function);
    auto notes = parse_notes(content);
    proposal p;
    p.source = std::move(parsed.source);
    p.optimization = !notes.optimization.empty()      ? std::move(notes.optimization)
                     : call.request.stage == "refine" ? "llm-refine"
                                                      : "draft";
    p.technique = std::move(notes.technique);
    p.call_id = call_id;
    p.context_ids = context_ids;
    if (parsed.usable)
      ++usable;
    else
      p.parse_error = std::move(parsed.problem);
    out.push_back(std::move(p));
  }
  return out;
}

// Records a call through the curator, then runs `then` (the reply goes out only once the
// call is in the store, so what a task evaluated always has its call on record).
void record_call(proxy_pointer self, memory::llm_call_record rec, std::function<void()> then) {
  auto& st = self->state;
  if (!st.cfg.curator) {
    then();
    return;
  }
  self->request(st.cfg.curator, caf::infinite, record_atom_v, std::move(rec))
      .then([then](int64_t) { then(); },
            [self, then](caf::error& err) {
              self->state.log.warning("cannot record an LLM call", {{"error", describe(err)}});
              then();
            });
}

memory::llm_call_record base_record(const llm_proxy_state& st, const llm_call& call) {
  memory::llm_call_record rec;
  rec.request_hash = call.hash;
  rec.campaign = st.cfg.campaign;
  rec.task_id = call.request.task_id;
  rec.stage = call.request.stage;
  if (call.endpoint >= 0) {
    const auto& ep = st.endpoints[static_cast<std::size_t>(call.endpoint)].cfg;
    rec.endpoint = ep.name;
    rec.model = ep.model;
  }
  rec.attempts = call.attempts;
  rec.errors = call.errors;
  rec.choice = call.choice;
  // The prompt goes with every record, failed calls included; the curator stores it in `texts`.
  rec.system_prompt = call.text.system;
  rec.user_prompt = call.text.user;
  rec.latency_ms = steady_ms() - call.started_ms;
  rec.created_ms = wall_ms();
  return rec;
}

void dispatch(proxy_pointer self);

// Fails a call; `charged_tokens` and `charged_cost` go on its record (a protocol error is charged
// its reservation, and a resumed campaign must count it too).
void fail_call(proxy_pointer self, uint64_t id, caf::error err, bool record, int64_t charged_tokens = 0,
               double charged_cost = 0) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto call = std::move(it->second);
  st.calls.erase(it);
  if (!record) {
    call.promise.deliver(std::move(err));
    return;
  }
  auto rec = base_record(st, call);
  // Keyed apart from the request hash: a later successful call of the same request (the task's
  // re-ask) must not overwrite this record, and the cache must not replay a failure.
  rec.request_hash = call.hash + "/failed/" + std::to_string(rec.created_ms) + "/" + std::to_string(call.id);
  rec.outcome = "error: " + describe(err);
  rec.tokens_out = charged_tokens;
  rec.cost = charged_cost;
  auto promise = call.promise;
  record_call(self, std::move(rec), [promise, err]() mutable { promise.deliver(err); });
}

void send_attempt(proxy_pointer self, llm_call& call, int32_t endpoint, double now) {
  auto& st = self->state;
  auto& ep = st.endpoints[static_cast<std::size_t>(endpoint)];
  call.endpoint = endpoint;
  call.attempting = true;
  call.attempts += 1;
  ep.in_flight += 1;
  ep.requests.take(1, now);
  ep.tokens.take(static_cast<double>(call.reserved_tokens), now);
  http_request_spec spec;
  spec.url = ep.url;
  spec.ca_file = ep.cfg.ca_file;
  spec.path = ep.url.path + "/chat/completions";
  spec.body = chat_request_body(ep.cfg, call.text, call.n, call.request.seed);
  spec.timeout_ms = ep.cfg.timeout_ms;
  spec.body_limit = static_cast<std::size_t>(st.cfg.llm.max_response_bytes);
  if (!ep.cfg.api_key_env.empty()) {
    // The key is read when needed and goes only into the Authorization header.
    if (const char* key = std::getenv(ep.cfg.api_key_env.c_str()); key != nullptr && *key != '\0')
      spec.headers.emplace_back("Authorization", std::string{"Bearer "} + key);
  }
  st.log.debug("llm attempt", {{"task", call.request.task_id},
                               {"call", short_id(call.hash)},
                               {"endpoint", ep.cfg.name},
                               {"attempt", call.attempts}});
  llm_proxy_actor handle = self;
  auto id = call.id;
  st.client->post(std::move(spec), [handle, id](http_exchange x) {
    caf::anon_send(handle, http_done_atom_v, id, std::move(x));
  });
}

// Starts queued calls while an endpoint has a free slot, tokens in its buckets and the
// budget has room; otherwise waits for a completion or a bucket to refill.
void dispatch(proxy_pointer self) {
  auto& st = self->state;
  auto now = clock_ms(self->clock());
  while (!st.queue.empty()) {
    auto id = st.queue.front();
    auto it = st.calls.find(id);
    if (it == st.calls.end()) {
      st.queue.pop_front();
      continue;
    }
    auto& call = it->second;
    std::vector<bool> eligible(st.endpoints.size(), false);
    double wait = -1;
    bool any = false;
    for (std::size_t i = 0; i < st.endpoints.size(); ++i) {
      auto& ep = st.endpoints[i];
      if (ep.in_flight >= ep.cfg.max_concurrent)
        continue;
      auto est = static_cast<double>(token_estimate(ep.cfg, call.text, call.n));
      auto w = std::max(ep.requests.wait_ms(1, now), ep.tokens.wait_ms(est, now));
      if (w <= 0) {
        eligible[i] = true;
        any = true;
      } else {
        wait = wait < 0 ? w : std::min(wait, w);
      }
    }
    if (!any) {
      if (wait > 0 && !st.dispatch_scheduled) {
        st.dispatch_scheduled = true;
        self->delayed_send(self, std::chrono::microseconds(static_cast<int64_t>(wait * 1000) + 1000),
                           dispatch_atom_v);
      }
      return;
    }
    auto choice = st.bandit->choose(eligible);
    auto& ep = st.endpoints[static_cast<std::size_t>(choice.arm)];
    if (call.attempts == 0 || call.reserved_tokens == 0) {
      auto tokens = token_estimate(ep.cfg, call.text, call.n);
      auto cost = call_cost(ep.cfg, tokens, 0) +
                  call_cost(ep.cfg, 0, static_cast<int64_t>(call.n) * ep.cfg.max_tokens);
      if (!st.budget->fits(tokens, cost)) {
        // Calls in flight or in backoff may free reserved room; if none holds any, the budget is spent.
        if (st.budget->has_reservations())
          return;
        st.queue.pop_front();
        if (!st.budget_spent)
          st.log.warning("LLM budget spent",
                         {{"campaign", st.cfg.campaign}, {"usage", st.budget->describe()}});
        st.budget_spent = true;
        fail_call(self, id,
                  make_error(errc::budget_exhausted, "LLM budget spent (" + st.budget->describe() +
                                                         ") before task " + call.request.task_id + " asked"),
                  false);
        continue;
      }
      st.budget->reserve(tokens, cost);
      call.reserved_tokens = tokens;
      call.reserved_cost = cost;
    }
    st.queue.pop_front();
    call.choice = choice.reason;
    send_attempt(self, call, choice.arm, now);
  }
}

void on_http_done(proxy_pointer self, uint64_t id, http_exchange x) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto& call = it->second;
  if (!call.attempting) {
    // A completion for a call that waits in the queue or in backoff (the interface is open to
    // any sender): ignore it rather than index an endpoint it never used or count twice.
    st.log.warning("http completion without an attempt in flight", {{"task", call.request.task_id}});
    return;
  }
  call.attempting = false;
  auto& ep = st.endpoints[static_cast<std::size_t>(call.endpoint)];
  ep.in_flight -= 1;
  auto outcome = classify(x, limits_of(ep.cfg, call.text, call.n, st.cfg.llm.max_response_bytes));
  auto now = clock_ms(self->clock());
  if (outcome.ok) {
    auto& r = outcome.result;
    if (r.tokens_in == 0 && r.tokens_out == 0) {
      // No usage reported: estimate (4 bytes per token).
      r.tokens_in = static_cast<int64_t>((call.text.system.size() + call.text.user.size()) / 4);
      for (const auto& c : r.contents)
        r.tokens_out += static_cast<int64_t>(c.size() / 4);
    }
    auto used = r.tokens_in + r.tokens_out;
    ep.tokens.give_back(static_cast<double>(call.reserved_tokens - used), now);
    auto cost = call_cost(ep.cfg, r.tokens_in, r.tokens_out);
    st.budget->settle(call.reserved_tokens, call.reserved_cost, used, cost);
    int32_t usable = 0;
    auto proposals = to_proposals(call, r.contents, call.hash, usable);
    // Reward per unit of cost: money, or millions of tokens for free endpoints.
    st.bandit->add_call(call.endpoint, cost > 0 ? cost : static_cast<double>(used) / 1e6);
    // The reward arrives with the verdicts (reward_atom); remember who proposed what.
    for (const auto& p : proposals) {
      if (!p.parse_error.empty())
        continue;
      auto key = sha256_hex(p.source);
      if (st.origin.emplace(key, call.endpoint).second)
        st.origin_order.push_back(std::move(key));
    }
    while (st.origin_order.size() > 4096) {
      st.origin.erase(st.origin_order.front());
      st.origin_order.pop_front();
    }
    auto rec = base_record(st, call);
    rec.tokens_in = r.tokens_in;
    rec.tokens_out = r.tokens_out;
    rec.cost = cost;
    rec.outcome = "ok";
    rec.kernels = static_cast<int32_t>(r.contents.size());
    rec.usable = usable;
    rec.response = json(r.contents).dump(-1, ' ', false, json::error_handler_t::replace);
    st.log.info("llm call", {{"campaign", st.cfg.campaign},
                             {"task", call.request.task_id},
                             {"endpoint", ep.cfg.name},
                             {"attempts", call.attempts},
                             {"kernels", usable},
                             {"tokens", used},
                             {"ms", rec.latency_ms}});
    auto promise = call.promise;
    auto reply = std::make_shared<policy_reply>(policy_reply{std::move(proposals), "openai", ep.cfg.model});
    record_call(self, std::move(rec), [promise, reply]() mutable { promise.deliver(std::move(*reply)); });
    st.calls.erase(it);
    dispatch(self);
    return;
  }
  call.errors.push_back(ep.cfg.name + ": " + outcome.what);
  if (outcome.protocol_error) {
    // Whatever the server spent, it is not believed: the whole reservation is charged, the token
    // bucket keeps it, and nothing of the answer is kept.
    st.budget->settle(call.reserved_tokens, call.reserved_cost, call.reserved_tokens, call.reserved_cost);
    st.log.warning("llm protocol error", {{"campaign", st.cfg.campaign},
                                          {"task", call.request.task_id},
                                          {"endpoint", ep.cfg.name},
                                          {"why", outcome.what}});
    fail_call(self, id,
              make_error(errc::llm_failed,
                         "task " + call.request.task_id + ": endpoint " + ep.cfg.name + ": " + outcome.what),
              true, call.reserved_tokens, call.reserved_cost);
    dispatch(self);
    return;
  }
  if (outcome.retryable && call.attempts < st.cfg.llm.retry.max_attempts) {
    st.retries += 1;
    // The reservation stays with the call; the tokens bucket gets the estimate back.
    ep.tokens.give_back(static_cast<double>(call.reserved_tokens), now);
    auto wait = backoff_ms(st.cfg.llm.retry, call.attempts, outcome.retry_after_ms, st.rng);
    st.log.info("llm retry", {{"task", call.request.task_id},
                              {"endpoint", ep.cfg.name},
                              {"attempt", call.attempts},
                              {"why", outcome.what},
                              {"wait_ms", wait}});
    self->delayed_send(self, std::chrono::microseconds(static_cast<int64_t>(wait * 1000)), retry_atom_v, id);
    dispatch(self);
    return;
  }
  st.budget->settle(call.reserved_tokens, call.reserved_cost, 0, 0);
  ep.tokens.give_back(static_cast<double>(call.reserved_tokens), now);
  st.log.warning("llm call failed",
                 {{"task", call.request.task_id}, {"attempts", call.attempts}, {"why", outcome.what}});
  // A model that is down, overloaded or timing out is waited for by the task (llm_unreachable);
  // an answer that refuses the request (bad key, bad model, 400) is a failure the user must see.
  auto code = outcome.unreachable ? errc::llm_unreachable : errc::llm_failed;
  fail_call(self, id,
            make_error(code, "task " + call.request.task_id + ": " + std::to_string(call.attempts) +
                                 " attempts, last: " + outcome.what),
            true);
  dispatch(self);
}

caf::result<policy_reply> propose_openai(proxy_pointer self, const kforge::task_def& task,
                                         policy_request request) {
  auto& st = self->state;
  if (st.budget_spent)
    return make_error(errc::budget_exhausted, "LLM budget spent (" + st.budget->describe() + ")");
  llm_call call;
  call.id = st.next_id++;
  call.task = &task;
  call.text = st.cfg.prompts->build(task, request);
  call.n = std::max<int32_t>(1, request.k);
  call.hash = request_hash(st.cfg.campaign, request.task_id, request.stage, request.seed, call.n);
  call.request = std::move(request);
  call.started_ms = steady_ms();
  // A resumed campaign replays a recorded response instead of paying again.
  if (st.cfg.llm.cache && st.cfg.store != nullptr) {
    if (auto tx = st.cfg.store->read()) {
      auto rec = memory::get_llm_call(*tx, call.hash);
      if (rec && rec->outcome == "ok" && !rec->response.empty()) {
        auto parsed = json::parse(rec->response, nullptr, false);
        if (parsed.is_array()) {
          std::vector<std::string> contents;
          for (const auto& c : parsed)
            if (c.is_string())
              contents.push_back(c.get<std::string>());
          int32_t usable = 0;
          auto proposals = to_proposals(call, contents, rec->request_hash, usable);
          st.cache_hits += 1;
          st.log.debug("llm cache hit", {{"task", call.request.task_id}, {"call", short_id(call.hash)}});
          return policy_reply{std::move(proposals), "openai", rec->model + " (cached)"};
        }
      }
    }
  }
  call.promise = self->make_response_promise<policy_reply>();
  auto promise = call.promise;
  auto id = call.id;
  st.calls.emplace(id, std::move(call));
  st.queue.push_back(id);
  dispatch(self);
  return promise;
}

caf::error init_openai(llm_proxy_state& st, double now) {
  auto& cfg = st.cfg;
  if (!cfg.prompts)
    return make_error(errc::bad_config, "policy openai: no prompt templates loaded");
  if (cfg.llm.endpoints.empty())
    return make_error(errc::bad_config, "policy openai: no [[llm.endpoint]]");
  if (!cfg.transport)
    st.own_client = std::make_unique<http_client>();
  st.client_seam = cfg.transport;
  st.client = st.client_seam ? st.client_seam.get() : st.own_client.get();
  std::vector<std::string> names;
  for (const auto& ep : cfg.llm.endpoints) {
    auto url = parse_url(ep.base_url);
    if (!url)
      return make_error(errc::bad_config, "endpoint " + ep.name + ": " + describe(url.error()));
    if (url->tls && st.own_client)
      if (auto err = st.own_client->check_tls(ep.ca_file))
        return make_error(errc::bad_config, "endpoint " + ep.name + ": " + describe(err));
    st.endpoints.push_back(
        {ep, *url, token_bucket{ep.requests_per_minute, now}, token_bucket{ep.tokens_per_minute, now}, 0});
    names.push_back(ep.name);
  }
  st.bandit = std::make_unique<endpoint_bandit>(names, cfg.llm.exploration);
  // Earlier runs of the campaign count against its budgets.
  int64_t tokens = 0;
  double cost = 0;
  if (cfg.store != nullptr) {
    if (auto tx = cfg.store->read()) {
      if (auto calls = memory::list_llm_calls(*tx, cfg.campaign)) {
        for (const auto& c : *calls) {
          // A record of an older build may hold a server's negative usage: it refunds nothing.
          tokens += std::max<int64_t>(0, c.tokens_in) + std::max<int64_t>(0, c.tokens_out);
          cost += std::max(0.0, c.cost);
        }
      }
    }
  }
  st.budget = std::make_unique<llm_budget>(cfg.llm.token_budget, cfg.llm.cost_budget, tokens, cost);
  st.rng.seed(cfg.seed);
  return caf::none;
}

llm_proxy_actor::behavior_type llm_proxy_behavior(proxy_pointer self,
                                                  std::shared_ptr<const kforge::task_map> tasks,
                                                  llm_proxy_config cfg) {
  auto& st = self->state;
  st.tasks = std::move(tasks);
  st.cfg = std::move(cfg);
  caf::error init_error;
  if (st.cfg.policy == "openai")
    init_error = init_openai(st, clock_ms(self->clock()));
  if (init_error)
    st.log.error("cannot start the openai backend", {{"error", describe(init_error)}});
  return {
      [self, init_error](propose_atom, policy_request& request) -> caf::result<policy_reply> {
        auto& s = self->state;
        auto it = s.tasks->find(request.task_id);
        if (it == s.tasks->end())
          return make_error(errc::bad_request, "unknown task " + request.task_id);
        if (s.cfg.policy == "offline") {
          offline_policy policy{s.cfg.offline};
          policy_reply reply{policy.propose(it->second, request), "offline", "knob-search"};
          // Nothing new drawn: say so when the whole space is tried (not when draws were unlucky).
          reply.exhausted = std::all_of(reply.proposals.begin(), reply.proposals.end(),
                                        [&](const proposal& p) {
                                          return was_tried(request.tried, settings_fingerprint(p.knobs));
                                        }) &&
                            offline_policy::exhausted(it->second, request.tried);
          return reply;
        }
        if (s.cfg.policy != "openai")
          return make_error(errc::bad_request, "unknown policy " + s.cfg.policy);
        if (init_error)
          return init_error;
        return propose_openai(self, it->second, std::move(request));
      },
      [self](http_done_atom, uint64_t id, http_exchange& x) { on_http_done(self, id, std::move(x)); },
      [self](retry_atom, uint64_t id) {
        auto& s = self->state;
        if (s.calls.count(id) > 0)
          s.queue.push_front(id);
        dispatch(self);
      },
      [self](dispatch_atom) {
        self->state.dispatch_scheduled = false;
        dispatch(self);
      },
      [self](reward_atom, const std::string& source_sha, bool feasible) {
        auto& s = self->state;
        auto it = s.origin.find(source_sha);
        if (it == s.origin.end() || !s.bandit)
          return;
        s.bandit->add_reward(it->second, feasible ? 1.0 : 0.0);
        s.origin.erase(it);  // its entry in origin_order expires on its own
      },
      [self](usage_atom) -> std::string {
        auto& s = self->state;
        if (!s.budget)
          return s.cfg.policy;
        std::string arms;
        for (const auto& a : s.bandit->arms()) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "; %s: %lld calls, reward %g, cost %g", a.name.c_str(),
                        static_cast<long long>(a.pulls), a.reward, a.cost);
          arms += buf;
        }
        return s.budget->describe() + ", retries " + std::to_string(s.retries) + ", cache hits " +
               std::to_string(s.cache_hits) + arms + (s.budget_spent ? "; LLM budget spent" : "");
      },
  };
}

}  // namespace

llm_proxy_actor spawn_llm_proxy(caf::actor_system& sys, std::shared_ptr<const kforge::task_map> tasks,
                                llm_proxy_config cfg) {
  return sys.spawn(llm_proxy_behavior, std::move(tasks), std::move(cfg));
}

}  // namespace kforge::actors
