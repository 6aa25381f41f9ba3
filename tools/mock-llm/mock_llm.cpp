#include "tools/mock-llm/mock_llm.hpp"
#include "hardware/tasks/task_loader.hpp"

#include "runtime/base/error.hpp"

#include <utility>

// Boost.Asio 1.74's scheduler trips g++ 12's -Wnull-dereference once inlined here (a false
// positive in /usr/include/boost/asio/detail/impl/scheduler.ipp:325); off for this file only.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

namespace kforge::mock {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

const char* fault_name(fault f) noexcept {
  switch (f) {
    case fault::none:
      return "none";
    case fault::too_many:
      return "429";
    case fault::server_error:
      return "500";
    case fault::slow:
      return "slow";
    case fault::drop:
      return "drop";
    case fault::truncate:
      return "truncate";
    case fault::malformed:
      return "malformed";
    case fault::empty:
      return "empty";
    case fault::no_kernel:
      return "no_kernel";
  }
  return "none";
}

bool parse_fault(const std::string& name, fault& out) noexcept {
  for (auto f : {fault::none, fault::too_many, fault::server_error, fault::slow, fault::drop, fault::truncate,
                 fault::malformed, fault::empty, fault::no_kernel})
    if (name == fault_name(f)) {
      out = f;
      return true;
    }
  return false;
}

namespace {

const char* const openers[] = {
    "Here is an optimized version of the kernel.",
    "Sure! Below is a faster implementation that keeps the exact signature.",
    "This version restructures the loops for better vectorization.",
};
const char* const closers[] = {
    "The main changes are wider vectors and more independent accumulators, which hide FMA latency.",
    "It should compile with -O3 -march=native and stays within the tolerance.",
    "Let me know if you want a variant tuned for a different cache size.",
};

std::string kernel_reply(const kforge::task_def& task, std::mt19937_64& rng, std::string& knob_note) {
  std::vector<kforge::knob_setting> settings;
  for (const auto& k : task.knobs) {
    std::uniform_int_distribution<std::size_t> pick{0, k.values.size() - 1};
    settings.push_back({k.name, k.values[pick(rng)]});
    knob_note += (knob_note.empty() ? "" : ", ") + k.name + "=" + std::to_string(settings.back().value);
  }
  auto source = hardware::render_template(task, settings);
  const bool python = task.backend == "kernelbench";
  if (python && task.template_source.empty()) {  // no generator: the reference, renamed ModelNew
    source = task.reference_source;
    for (const std::string from : {"class Model(", "super(Model,"}) {
      auto to = from == "class Model(" ? std::string{"class ModelNew("} : std::string{"super(ModelNew,"};
      for (auto at = source.find(from); at != std::string::npos; at = source.find(from, at + to.size()))
        source.replace(at, from.size(), to);
    }
  }
  std::uniform_int_distribution<std::size_t> three{0, 2};
  std::string text = openers[three(rng)];
  text += "\n\n";
  // Sometimes a short sketch in another language comes first, as real models do.
  if (three(rng) == 0)
    text +=
        "The idea in pseudo-code:\n\n```python\nfor block in blocks:\n    acc += x[block] * "
        "w[block]\n```\n\n";
  text += std::string{python ? "```python\n" : "```cpp\n"} + source +
          (source.empty() || source.back() == '\n' ? "" : "\n") + "```\n\n";
  text += std::string{"Settings used: "} + knob_note + ". " + closers[three(rng)] + "\n";
  return text;
}

// Characters of a task id; a '.' also counts where the stated id is read, and is trimmed there.
bool is_id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// The id a "Task id: X" or "Task: X" line names, or empty.
std::string stated_task_id(const std::string& prompt) {
  std::stringstream in{prompt};
  for (std::string line; std::getline(in, line);) {
    auto b = line.find_first_not_of(" \t*#");
    if (b == std::string::npos)
      continue;
    for (const char* label : {"Task id:", "Task:"}) {
      if (line.compare(b, std::strlen(label), label) != 0)
        continue;
      auto at = line.find_first_not_of(" \t`*", b + std::strlen(label));
      auto end = at;
      while (end < line.size() && (is_id_char(line[end]) || line[end] == '.'))
        ++end;
      // A trailing '.' ends the sentence, not the id.
      while (end > at && line[end - 1] == '.')
        --end;
      if (at != std::string::npos && end > at)
        return line.substr(at, end - at);
    }
  }
  return {};
}

}  // namespace

const kforge::task_def* task_for_prompt(const kforge::task_map& tasks, const std::string& prompt) {
  if (auto stated = tasks.find(stated_task_id(prompt)); stated != tasks.end())
    return &stated->second;
  const kforge::task_def* best = nullptr;
  auto best_at = std::string::npos;
  for (const auto& [id, t] : tasks) {
    for (auto at = prompt.find(id); at != std::string::npos; at = prompt.find(id, at + 1)) {
      auto end = at + id.size();
      bool whole =
          (at == 0 || !is_id_char(prompt[at - 1])) && (end >= prompt.size() || !is_id_char(prompt[end]));
      if (!whole)
        continue;
      if (at < best_at || (at == best_at && id.size() > best->id.size())) {
        best = &t;
        best_at = at;
      }
      break;
    }
  }
  return best;
}

namespace {

// The content of the last user message: where kforge's templates state the request.
std::string last_user_message(const json& messages) {
  std::string out;
  for (const auto& m : messages)
    if (m.is_object() && m.value("role", "") == "user" && m.contains("content") && m["content"].is_string())
      out = m["content"].get<std::string>();
  return out;
}

}  // namespace

mock_answer answer(const kforge::task_map& tasks, const server_config& cfg, const std::string& request_body,
                   fault f, std::mt19937_64& rng, const kernel_corpus* corpus, replay_set* replay) {
  mock_answer a;
  a.delay_ms = cfg.service_ms;
  auto error_body = [](const std::string& type, const std::string& message) {
    return json{{"error", {{"message", message}, {"type", type}}}}.dump();
  };
  auto req = json::parse(request_body, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("messages") || !req["messages"].is_array()) {
    a.status = 400;
    a.body = error_body("invalid_request_error", "body is not a chat-completions request");
    return a;
  }
  std::string prompt_text;
  std::string prompt_lines;  // the messages one after another, each starting on a line of its own
  for (const auto& m : req["messages"])
    if (m.is_object() && m.contains("content") && m["content"].is_string()) {
      prompt_text += m["content"].get<std::string>();
      prompt_lines += m["content"].get<std::string>() + "\n";
    }
  int64_t n = 1;
  if (req.contains("n") && req["n"].is_number_integer())
    n = std::clamp<int64_t>(req["n"].get<int64_t>(), 1, 16);
  std::string model =
      req.contains("model") && req["model"].is_string() ? req["model"].get<std::string>() : "mock";
  switch (f) {
    case fault::too_many: {
      a.status = 429;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", cfg.faults.retry_after_s);
      a.headers.emplace_back("Retry-After", buf);
      a.body = error_body("rate_limit_exceeded", "Rate limit reached, retry later");
      return a;
    }
    case fault::server_error:
      a.status = 500;
      a.body = error_body("server_error", "The server had an error while processing your request");
      return a;
    case fault::drop:
      a.drop = true;
      return a;
    case fault::malformed:
      a.body = R"({"id":"mock","choices":[{"index":0,"message":{"role":"assistant","content":"```cpp\nvoid)";
      return a;
    case fault::empty:
      a.body =
          json{{"id", "mock"}, {"object", "chat.completion"}, {"model", model}, {"choices", json::array()}}
              .dump();
      return a;
    case fault::slow:
      a.delay_ms += cfg.faults.slow_ms;
      break;
    case fault::truncate:
      a.truncate = true;
      break;
    default:
      break;
  }
  const auto* task = task_for_prompt(tasks, prompt_lines);
  if (task == nullptr) {
    a.status = 400;
    a.body = error_body("invalid_request_error", "the prompt names no task this server knows");
    return a;
  }
  const std::vector<corpus_variant>* variants = nullptr;
  std::vector<std::string> requested;
  if (corpus != nullptr && task->backend == "cpu") {
    if (auto fam = corpus->families.find(task->family);
        fam != corpus->families.end() && !fam->second.empty()) {
      variants = &fam->second;
      requested =
          requested_techniques(request_section(last_user_message(req["messages"])), corpus->techniques);
      a.requested = requested;
    }
  }
  json choices = json::array();
  int64_t out_tokens = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::string content;
    if (f == fault::no_kernel) {
      content =
          "I'm sorry, but I can't determine a faster approach without more profiling information. "
          "Could you share the hardware details?";
    } else if (const auto* file = replay != nullptr ? replay->next(task->id) : nullptr) {
      content = replay_reply(*file);
    } else if (variants != nullptr) {
      content = corpus_reply(choose_variant(*variants, requested, cfg.corpus, rng), rng);
    } else {
      std::string note;
      content = kernel_reply(*task, rng, note);
    }
    auto tokens =
        cfg.completion_tokens > 0 ? cfg.completion_tokens : static_cast<int64_t>(content.size() / 4 + 1);
    // An honest server never reports more than the request's max_tokens per completion.
    if (req.contains("max_tokens") && req["max_tokens"].is_number_integer())
      tokens = std::min(tokens, std::max<int64_t>(1, req["max_tokens"].get<int64_t>()));
    out_tokens += tokens;
    choices.push_back({{"index", i},
                       {"message", {{"role", "assistant"}, {"content", content}}},
                       {"finish_reason", "stop"}});
  }
  auto in_tokens = static_cast<int64_t>(prompt_text.size() / 4 + 1);
  a.body = json{{"id", "chatcmpl-mock"},
                {"object", "chat.completion"},
                {"created", 0},
                {"model", model},
                {"choices", choices},
                {"usage",
                 {{"prompt_tokens", in_tokens},
                  {"completion_tokens", out_tokens},
                  {"total_tokens", in_tokens + out_tokens}}}}
               .dump();
  return a;
}

// ---- server ----------------------------------------------------------------------------

struct server::impl {
  kforge::task_map tasks;
  server_config cfg;
  std::unique_ptr<kernel_corpus> corpus;  // loaded at start where cfg.corpus.dir is set
  std::unique_ptr<replay_set> replay;     // loaded at start where cfg.replay_dir is set
  asio::io_context io;
  std::unique_ptr<ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  mutable std::mutex mutex;  // guards rng, script position and stats
  std::mt19937_64 rng;
  std::size_t script_pos = 0;
  int64_t in_flight = 0;
  server_stats stats;
  std::vector<std::string> bodies;  // request bodies, in arrival order, with cfg.keep_requests

  // Draws the fault of the next request and counts it.
  fault next_fault() {
    std::lock_guard<std::mutex> lock{mutex};
    fault f = fault::none;
    if (script_pos < cfg.faults.script.size()) {
      f = cfg.faults.script[script_pos++];
    } else {
      std::uniform_real_distribution<double> u{0, 1};
      double x = u(rng);
      for (const auto& [kind, rate] : cfg.faults.rates) {
        if (x < rate) {
          f = kind;
          break;
        }
        x -= rate;
      }
    }
    stats.requests += 1;
    stats.faults[fault_name(f)] += 1;
    return f;
  }

  void enter() {
    std::lock_guard<std::mutex> lock{mutex};
    in_flight += 1;
    stats.max_in_flight = std::max(stats.max_in_flight, in_flight);
  }

  void leave() {
    std::lock_guard<std::mutex> lock{mutex};
    in_flight -= 1;
  }

  void count_answer(double ms) {
    std::lock_guard<std::mutex> lock{mutex};
    stats.answered += 1;
    stats.service_ms += ms;
  }

  mock_answer make_answer(const std::string& body, fault f) {
    // Knob draws share the seeded generator; keep answer() itself lock-free.
    uint64_t seed = 0;
    {
      std::lock_guard<std::mutex> lock{mutex};
      bodies.insert(bodies.end(), cfg.keep_requests ? 1 : 0, body);  // only when asked to keep them
      seed = rng();
    }
    std::mt19937_64 local{seed};
    auto a = answer(tasks, cfg, body, f, local, corpus.get(), replay.get());
    std::lock_guard<std::mutex> lock{mutex};
    stats.technique_requests += a.requested.empty() ? 0 : 1;
    for (const auto& t : a.requested)
      stats.requested_techniques[t] += 1;
    return a;
  }
};

namespace {

std::string serialize(const mock_answer& a, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
  res.set(http::field::server, "kforge-mock-llm");
  res.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : a.headers)
    res.set(k, v);
  res.keep_alive(keep_alive && !a.truncate);
  res.body() = a.body;
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  auto text = out.str();
  if (a.truncate) {
    // Headers announce the whole body; only the first half follows.
    auto header_end = text.find("\r\n\r\n");
    auto body_start = header_end == std::string::npos ? text.size() : header_end + 4;
    text.resize(body_start + (text.size() - body_start) / 2);
  }
  return text;
}

template <class Stream>
class mock_session : public std::enable_shared_from_this<mock_session<Stream>> {
 public:
  mock_session(server::impl& srv, Stream stream)
      : srv_(srv), stream_(std::move(stream)), timer_(beast::get_lowest_layer(stream_).get_executor()) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      stream_.async_handshake(ssl::stream_base::server, [s = this->shared_from_this()](beast::error_code ec) {
        if (!ec)
          s->read();
      });
    }
  }

 private:
  void read() {
    req_ = {};
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, req_,
                     [s = this->shared_from_this()](beast::error_code ec, std::size_t) { s->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec)
      return close();
    read_at_ = std::chrono::steady_clock::now();
    srv_.enter();
    in_request_ = true;
    auto f = srv_.next_fault();
    answer_ = srv_.make_answer(req_.body(), f);
    if (answer_.delay_ms > 0) {
      timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(answer_.delay_ms * 1000)));
      timer_.async_wait([s = this->shared_from_this()](beast::error_code) { s->respond(); });
      return;
    }
    respond();
  }

  // The request is answered (or dropped): it no longer counts as in flight.
  void leave() {
    if (in_request_) {
      in_request_ = false;
      srv_.leave();
    }
  }

  void respond() {
    if (answer_.drop) {
      leave();
      return close();
    }
    keep_alive_ = req_.keep_alive() && !answer_.truncate;
    out_ = serialize(answer_, keep_alive_);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    asio::async_write(
        stream_, asio::buffer(out_), [s = this->shared_from_this()](beast::error_code e, std::size_t) {
          s->leave();
          if (!e)
            s->srv_.count_answer(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s->read_at_)
                    .count());
          if (e || !s->keep_alive_)
            return s->close();
          s->read();
        });
  }

  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  server::impl& srv_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  mock_answer answer_;
  std::string out_;
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point read_at_;
  bool in_request_ = false;
};

void do_accept(server::impl& srv) {
  srv.acceptor.async_accept(asio::make_strand(srv.io), [&srv](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec) {
      if (srv.tls) {
        using stream = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<mock_session<stream>>(srv, stream{beast::tcp_stream{std::move(socket)}, *srv.tls})
            ->start();
      } else {
        std::make_shared<mock_session<beast::tcp_stream>>(srv, beast::tcp_stream{std::move(socket)})->start();
      }
    }
    do_accept(srv);
  });
}

}  // namespace

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

server::~server() {
  impl_->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
}

caf::expected<std::unique_ptr<server>> server::start(kforge::task_map tasks, server_config cfg) {
  auto p = std::make_unique<impl>();
  p->tasks = std::move(tasks);
  p->cfg = std::move(cfg);
  p->rng.seed(p->cfg.faults.seed);
  if (!p->cfg.corpus.dir.empty()) {
    const auto& c = p->cfg.corpus;
    if (!(c.mistake_rate >= 0 && c.mistake_rate <= 1) || !(c.technique_weight > 0))
      return make_error(errc::bad_config,
                        "mock-llm: mistake_rate must be in [0, 1] and technique_weight positive");
    auto loaded =
        load_corpus(c.dir, c.techniques_file.empty() ? default_techniques_file() : c.techniques_file);
    if (!loaded)
      return loaded.error();
    p->corpus = std::make_unique<kernel_corpus>(std::move(*loaded));
  }
  if (!p->cfg.replay_dir.empty()) {
    auto loaded = load_replay(p->cfg.replay_dir);
    if (!loaded)
      return loaded.error();
    p->replay = std::make_unique<replay_set>(std::move(*loaded));
  }
  if (!p->cfg.cert_pem.empty() && !p->cfg.key_pem.empty()) {
    p->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    beast::error_code ec;
    p->tls->use_certificate_chain(asio::buffer(p->cfg.cert_pem), ec);
    if (!ec)
      p->tls->use_private_key(asio::buffer(p->cfg.key_pem), ssl::context::pem, ec);
    if (ec)
      return make_error(errc::bad_config, "mock-llm: bad TLS certificate or key: " + ec.message());
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(p->cfg.host, ec);
  if (ec)
    return make_error(errc::bad_config, "mock-llm: bad host '" + p->cfg.host + "'");
  tcp::endpoint ep{address, p->cfg.port};
  p->acceptor.open(ep.protocol(), ec);
  if (!ec)
    p->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    p->acceptor.bind(ep, ec);
  if (!ec)
    p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(errc::io_failed, "mock-llm: cannot listen on " + p->cfg.host + ":" +
                                           std::to_string(p->cfg.port) + ": " + ec.message());
  do_accept(*p);
  auto* raw = p.get();
  for (int32_t i = 0; i < std::max(1, p->cfg.threads); ++i)
    p->threads.emplace_back([raw] { raw->io.run(); });
  return std::unique_ptr<server>{new server{std::move(p)}};
}

uint16_t server::port() const noexcept {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

server_stats server::stats() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->stats;
}
std::vector<std::string> server::requests() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->bodies;
}

}  // namespace kforge::mock
