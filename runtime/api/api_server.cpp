#include "runtime/api/api_server.hpp"

#include "runtime/base/log.hpp"

// GCC 12 reports a false -Wnull-dereference inside Boost 1.74's asio scheduler.ipp once it is
// inlined into this file (thread_info of the calling thread); the warning is not about our code.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <utility>  // before Asio (Boost 1.74 needs std::exchange under C++20)

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <exception>
#include <optional>
#include <thread>

namespace kforge::runtime {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct api_server::impl {
  // Declared before the io_context, so they outlive the sessions it destroys.
  api_server_options opts;
  api_handler handler;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopped{false};
  uint16_t port = 0;
  log::logger log{"kforge.api"};
  std::string slow_running;  // the slow work on the worker now ("" = none); io thread only
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  // Declared after ioc, so that slow jobs (holding sessions whose sockets live on ioc) are
  // destroyed before it.
  net::io_context worker{1};
  net::executor_work_guard<net::io_context::executor_type> worker_guard{worker.get_executor()};
  std::thread thread;
  std::thread worker_thread;

  void accept();
};

namespace {

// One connection: read a request, answer it, repeat while keep-alive; each async step and
// its completion handler sit side by side. The session owns itself through shared_ptr.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, api_server::impl& server) : stream_(std::move(socket)), server_(server) {
    server_.connections.fetch_add(1);
  }
  ~session() { server_.connections.fetch_sub(1); }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start(bool over_limit) {
    if (over_limit) {
      respond(error_response(503, "too many connections; try again later"), false);
      return;
    }
    read();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.opts.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.opts.max_header_bytes));
    stream_.expires_after(server_.opts.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::eof) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
      respond(error_response(
                  413, "request body larger than " + std::to_string(server_.opts.max_body_bytes) + " bytes"),
              false);
      return;
    }
    if (ec == http::error::header_limit) {
      respond(error_response(431, "request headers too large"), false);
      return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category())
        respond(error_response(400, "malformed HTTP request: " + ec.message()), false);
      else
        close();
      return;
    }
    auto& req = parser_->get();
    api_request r;
    r.method = std::string{req.method_string()};
    r.target = std::string{req.target()};
    if (auto it = req.find(http::field::authorization); it != req.end())
      r.authorization = std::string{it->value()};
    r.body = std::move(req.body());
    bool keep_alive = req.keep_alive();
    auto slow = server_.opts.slow_work ? server_.opts.slow_work(r) : std::string{};
    if (slow.empty()) {
      respond(server_.handler(r), keep_alive);
      return;
    }
    if (!server_.slow_running.empty()) {
      respond(error_response(409,
                             "a " + server_.slow_running + " is in progress; try again when it has finished"),
              keep_alive);
      return;
    }
    server_.slow_running = slow;
    net::post(server_.worker, [self = shared_from_this(), r = std::move(r), keep_alive]() mutable {
      auto answer = self->answer_slow(r);
      // The session moves on, so that its last owner (and its socket) is always let go on the io
      // thread, never here.
      auto& ioc = self->server_.ioc;
      net::post(ioc, [self = std::move(self), answer = std::move(answer), keep_alive]() mutable {
        self->server_.slow_running.clear();
        self->respond(std::move(answer), keep_alive);
      });
    });
  }

  // On the worker thread: touches nothing of the session but the handler.
  api_response answer_slow(const api_request& r) {
    try {
      return server_.handler(r);
    } catch (const std::exception& e) {
      // An exception must not end the worker thread (and the process) with it.
      return error_response(500, std::string{"internal error: "} + e.what());
    }
  }

  void respond(api_response r, bool keep_alive) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::server, "kforge");
    res_.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers)
      res_.set(k, v);
    res_.keep_alive(keep_alive);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    stream_.expires_after(server_.opts.timeout);
    http::async_write(stream_, res_, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      self->on_write(ec, keep_alive);
    });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive || server_.stopped.load()) {
      close();
      return;
    }
    read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  api_server::impl& server_;
};

}  // namespace

void api_server::impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopped.load())
        return;
      log.warning("accept failed", {{"error", ec.message()}});
    } else {
      bool over = connections.load() >= opts.max_connections;
      std::make_shared<session>(std::move(socket), *this)->start(over);
    }
    accept();
  });
}

caf::expected<std::unique_ptr<api_server>> api_server::start(api_server_options opts, api_handler handler) {
  auto p = std::make_unique<impl>();
  p->opts = std::move(opts);
  p->handler = std::move(handler);
  beast::error_code ec;
  auto where = p->opts.address + ":" + std::to_string(p->opts.port);
  auto addr = net::ip::make_address(p->opts.address == "localhost" ? "127.0.0.1" : p->opts.address, ec);
  if (ec)
    return make_error(errc::bad_config, "api: bad listen address '" + p->opts.address + "': " + ec.message());
  tcp::endpoint ep{addr, p->opts.port};
  p->acceptor.open(ep.protocol(), ec);
  if (!ec)
    p->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    p->acceptor.bind(ep, ec);
  if (!ec)
    p->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(errc::io_failed, "api: cannot listen on " + where + ": " + ec.message());
  p->port = p->acceptor.local_endpoint(ec).port();
  p->accept();
  auto* raw = p.get();
  p->thread = std::thread{[raw] { raw->ioc.run(); }};
  p->worker_thread = std::thread{[raw] { raw->worker.run(); }};
  return std::unique_ptr<api_server>{new api_server{std::move(p)}};
}

api_server::api_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

api_server::~api_server() {
  stop();
}

uint16_t api_server::port() const noexcept {
  return impl_->port;
}

void api_server::stop() {
  if (!impl_ || impl_->stopped.exchange(true))
    return;
  net::post(impl_->ioc, [raw = impl_.get()] {
    beast::error_code ec;
    raw->acceptor.close(ec);
    raw->ioc.stop();
  });
  if (impl_->thread.joinable())
    impl_->thread.join();
  // Queued slow jobs are dropped; one that runs finishes first (an LMDB copy cannot be cut short).
  impl_->worker_guard.reset();
  impl_->worker.stop();
  if (impl_->worker_thread.joinable())
    impl_->worker_thread.join();
}

}  // namespace kforge::runtime
