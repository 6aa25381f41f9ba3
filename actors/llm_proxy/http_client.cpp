#include "actors/llm_proxy/http_client.hpp"

#include "runtime/base/error.hpp"

#include <utility>

// Boost.Asio 1.74's scheduler trips g++ 12's -Wnull-dereference once inlined here (a false
// positive in /usr/include/boost/asio/detail/impl/scheduler.ipp:325); off for this file only.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace kforge::actors {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

caf::expected<std::shared_ptr<ssl::context>> make_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec)
    return make_error(errc::bad_config, "TLS: cannot load the system CA store: " + ec.message());
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec)
      return make_error(errc::bad_config, ca_file + ": cannot load CA certificates: " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// One connection, one request. Plain or TLS depending on `Stream`.
template <class Derived>
class session_base {
 public:
  session_base(asio::io_context& io, http_request_spec spec, std::function<void(http_exchange)> done)
      : resolver_(asio::make_strand(io)), spec_(std::move(spec)), done_(std::move(done)) {}

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  std::chrono::steady_clock::duration remaining() const {
    auto left = spec_.timeout_ms - ms_since(start_);
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>(std::max(1.0, left)));
  }

  void begin() {
    start_ = clock_type::now();
    req_.method(http::verb::post);
    req_.target(spec_.path.empty() ? "/" : spec_.path);
    req_.version(11);
    // An IPv6 literal is bracketed in the Host header (RFC 7230 section 5.4), bare for the resolver.
    const auto& host = spec_.url.host;
    req_.set(http::field::host, host.find(':') == std::string::npos ? host : "[" + host + "]");
    req_.set(http::field::user_agent, "kforge");
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::connection, "close");
    for (const auto& [k, v] : spec_.headers)
      req_.set(k, v);
    req_.body() = std::move(spec_.body);
    req_.prepare_payload();
    parser_.body_limit(spec_.body_limit);
    resolver_.async_resolve(
        spec_.url.host, spec_.url.port,
        [s = self().shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          s->on_resolve(ec, std::move(r));
        });
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec)
      return fail("resolve", ec);
    auto& layer = beast::get_lowest_layer(self().stream());
    layer.expires_after(remaining());
    layer.async_connect(results, [s = self().shared_from_this()](beast::error_code e, const tcp::endpoint&) {
      s->on_connect(e);
    });
  }

  void write_request() {
    beast::get_lowest_layer(self().stream()).expires_after(remaining());
    http::async_write(
        self().stream(), req_,
        [s = self().shared_from_this()](beast::error_code ec, std::size_t) { s->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (ec)
      return fail("write", ec);
    // The header first: Beast 1.74 ignores the body limit of a Content-Length body that arrives in
    // one read with its header when it reads eagerly (as async_read does), and would take in a
    // body of any size. Read alone, the header is checked against the limit before any body.
    beast::get_lowest_layer(self().stream()).expires_after(remaining());
    http::async_read_header(
        self().stream(), buffer_, parser_,
        [s = self().shared_from_this()](beast::error_code e, std::size_t) { s->on_header(e); });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return on_read(ec);
    beast::get_lowest_layer(self().stream()).expires_after(remaining());
    http::async_read(self().stream(), buffer_, parser_,
                     [s = self().shared_from_this()](beast::error_code e, std::size_t) { s->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      http_exchange x;
      x.oversized = true;
      x.error = "read: response body larger than " + std::to_string(spec_.body_limit) + " bytes";
      x.elapsed_ms = ms_since(start_);
      finish(std::move(x));
      return self().shutdown();
    }
    if (ec)
      return fail("read", ec);
    http_exchange x;
    const auto& res = parser_.get();
    x.status = static_cast<int32_t>(res.result_int());
    x.body = res.body();
    auto ra = res.find(http::field::retry_after);
    if (ra != res.end())
      x.retry_after = std::string{ra->value()};
    x.elapsed_ms = ms_since(start_);
    finish(std::move(x));
    self().shutdown();
  }

  void fail(const char* step, beast::error_code ec) {
    http_exchange x;
    x.error =
        std::string{step} + ": " + (ec == beast::error::timeout ? std::string{"timeout"} : ec.message());
    x.elapsed_ms = ms_since(start_);
    finish(std::move(x));
  }

  void finish(http_exchange x) {
    if (done_) {
      auto done = std::move(done_);
      done_ = nullptr;
      done(std::move(x));
    }
  }

  tcp::resolver resolver_;
  http_request_spec spec_;
  std::function<void(http_exchange)> done_;
  clock_type::time_point start_;
  http::request<http::string_body> req_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
};

class plain_session : public session_base<plain_session>, public std::enable_shared_from_this<plain_session> {
 public:
  plain_session(asio::io_context& io, http_request_spec spec, std::function<void(http_exchange)> done)
      : session_base(io, std::move(spec), std::move(done)), stream_(asio::make_strand(io)) {}
  void run() { begin(); }
  beast::tcp_stream& stream() { return stream_; }
  void on_connect(beast::error_code ec) {
    if (ec)
      return fail("connect", ec);
    write_request();
  }
  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  friend class session_base<plain_session>;
  beast::tcp_stream stream_;
};

class tls_session : public session_base<tls_session>, public std::enable_shared_from_this<tls_session> {
 public:
  tls_session(asio::io_context& io, std::shared_ptr<ssl::context> ctx, http_request_spec spec,
              std::function<void(http_exchange)> done)
      : session_base(io, std::move(spec), std::move(done)),
        ctx_(std::move(ctx)),
        stream_(asio::make_strand(io), *ctx_) {}
  void run() {
    // SNI, and verification of the host name against the certificate.
    if (SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(spec_.url.host.c_str())) == 0) {
      start_ = clock_type::now();
      fail("sni", beast::error_code{static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()});
      return;
    }
    stream_.set_verify_callback(ssl::host_name_verification(spec_.url.host));
    begin();
  }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void on_connect(beast::error_code ec) {
    if (ec)
      return fail("connect", ec);
    beast::get_lowest_layer(stream_).expires_after(remaining());
    stream_.async_handshake(ssl::stream_base::client, [s = shared_from_this()](beast::error_code e) {
      if (e)
        return s->fail("tls handshake", e);
      s->write_request();
    });
  }
  void shutdown() {
    // The response is complete; skip the TLS close_notify round trip (Connection: close).
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  friend class session_base<tls_session>;
  std::shared_ptr<ssl::context> ctx_;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

struct http_client::impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<ssl::context>> tls;  // by CA file

  caf::expected<std::shared_ptr<ssl::context>> tls_context(const std::string& ca_file) {
    std::lock_guard<std::mutex> lock{mutex};
    auto it = tls.find(ca_file);
    if (it != tls.end())
      return it->second;
    auto ctx = make_tls_context(ca_file);
    if (!ctx)
      return ctx.error();
    tls.emplace(ca_file, *ctx);
    return *ctx;
  }
};

http_client::http_client() : impl_(std::make_unique<impl>()) {
  impl_->thread = std::thread{[this] { impl_->io.run(); }};
}

http_client::~http_client() {
  impl_->guard.reset();
  impl_->io.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

caf::error http_client::check_tls(const std::string& ca_file) {
  auto ctx = impl_->tls_context(ca_file);
  return ctx ? caf::error{} : ctx.error();
}

void http_client::post(http_request_spec spec, std::function<void(http_exchange)> done) {
  if (spec.url.tls) {
    auto ctx = impl_->tls_context(spec.ca_file);
    if (!ctx) {
      http_exchange x;
      x.error = "tls setup: " + describe(ctx.error());
      asio::post(impl_->io, [done = std::move(done), x = std::move(x)]() mutable { done(std::move(x)); });
      return;
    }
    asio::post(impl_->io, [this, ctx = *ctx, spec = std::move(spec), done = std::move(done)]() mutable {
      std::make_shared<tls_session>(impl_->io, std::move(ctx), std::move(spec), std::move(done))->run();
    });
    return;
  }
  asio::post(impl_->io, [this, spec = std::move(spec), done = std::move(done)]() mutable {
    std::make_shared<plain_session>(impl_->io, std::move(spec), std::move(done))->run();
  });
}

}  // namespace kforge::actors
