#include "runtime/daemon/daemon_config.hpp"

#include "runtime/base/toml_reader.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/campaign/workers_table.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <set>

namespace kforge::runtime {

namespace {

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty())
    return {};
  std::filesystem::path path{p};
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

daemon_config parse(const toml_reader& r, const toml_value& root, const std::filesystem::path& name) {
  daemon_config cfg;
  r.only(root, "top level", {"daemon", "workers"});
  parse_workers_table(r, root, name.parent_path(), cfg.workers);
  if (!root.contains("daemon"))
    return cfg;
  const auto& t = root.at("daemon");
  r.only(t, "daemon",
         {"campaigns", "store", "store_map_mib", "listen", "port", "token", "token_env", "static_dir",
          "snapshot_dir", "port_file", "poll_ms", "tick_ms", "max_body_bytes", "request_timeout_s",
          "max_connections", "threads", "stall_minutes"});
  auto base = name.parent_path();
  std::string campaigns;
  std::string store;
  std::string static_dir;
  std::string snapshot_dir;
  std::string port_file;
  r.get(t, "campaigns", campaigns);
  r.get(t, "store", store);
  r.get(t, "static_dir", static_dir);
  r.get(t, "snapshot_dir", snapshot_dir);
  r.get(t, "port_file", port_file);
  cfg.campaigns = resolve(base, campaigns);
  cfg.store = resolve(base, store);
  cfg.static_dir = resolve(base, static_dir);
  cfg.snapshot_dir = resolve(base, snapshot_dir);
  cfg.port_file = resolve(base, port_file);
  r.get(t, "store_map_mib", cfg.store_map_mib);
  r.get(t, "listen", cfg.listen);
  r.get(t, "port", cfg.port);
  r.get(t, "token", cfg.token);
  r.get(t, "token_env", cfg.token_env);
  r.get(t, "poll_ms", cfg.poll_ms);
  r.get(t, "tick_ms", cfg.tick_ms);
  r.get(t, "max_body_bytes", cfg.max_body_bytes);
  r.get(t, "request_timeout_s", cfg.request_timeout_s);
  r.get(t, "max_connections", cfg.max_connections);
  r.get(t, "threads", cfg.threads);
  r.within(t, "stall_minutes", cfg.stall_minutes, 0.0, 525600.0);
  auto check = [&](const char* key, int64_t v, int64_t lo, int64_t hi) {
    if (t.contains(key) && (v < lo || v > hi))
      r.fail(t.at(key), "'" + std::string{key} + "' must lie in [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]");
  };
  check("port", cfg.port, 0, 65535);
  check("poll_ms", cfg.poll_ms, 50, 3600000);
  check("tick_ms", cfg.tick_ms, 50, 60000);
  check("max_body_bytes", cfg.max_body_bytes, 1024, int64_t{1} << 30);
  check("request_timeout_s", cfg.request_timeout_s, 1, 3600);
  check("max_connections", cfg.max_connections, 1, 100000);
  check("store_map_mib", cfg.store_map_mib, 1, int64_t{1} << 20);
  check("threads", cfg.threads, 0, 1024);
  return cfg;
}

}  // namespace

caf::expected<daemon_config> parse_daemon_config(const std::string& text, const std::filesystem::path& name) {
  toml_reader r{name.string()};
  return r.read(text, errc::bad_config, [&](const toml_value& root) { return parse(r, root, name); });
}

caf::expected<daemon_config> load_daemon_config(const std::filesystem::path& file) {
  auto text = toml_reader::slurp(file, errc::bad_config, "the daemon config");
  if (!text)
    return text.error();
  return parse_daemon_config(*text, std::filesystem::absolute(file).lexically_normal());
}

caf::expected<std::string> listen_address(const std::string& text) {
  auto address = text;
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);  // "[::1]", as in a URL
  if (address == "localhost")
    return address;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1 || inet_pton(AF_INET6, address.c_str(), &v6) == 1)
    return address;
  return make_error(errc::bad_config,
                    "daemon: listen address '" + text +
                        "' is not an IP address (an IPv4 address like 127.0.0.1, an IPv6 address like ::1 or "
                        "[::1], or localhost)");
}

caf::error finish_daemon_config(daemon_config& cfg) {
  if (cfg.campaigns.empty())
    return make_error(errc::bad_config,
                      "daemon: no campaign file or directory (--config or [daemon] campaigns)");
  if (cfg.store.empty())
    return make_error(errc::bad_config, "daemon: no store directory (--store or [daemon] store)");
  cfg.campaigns = std::filesystem::absolute(cfg.campaigns).lexically_normal();
  cfg.store = std::filesystem::absolute(cfg.store).lexically_normal();
  if (cfg.token.empty() && !cfg.token_env.empty())
    if (const char* v = std::getenv(cfg.token_env.c_str()); v != nullptr)
      cfg.token = v;
  auto address = listen_address(cfg.listen);
  if (!address)
    return std::move(address.error());
  cfg.listen = *address;
  if (!is_loopback(cfg.listen) && cfg.token.empty())
    return make_error(errc::bad_config,
                      "daemon: listening on " + cfg.listen +
                          " needs an API token ([daemon] token or the environment variable " + cfg.token_env +
                          ")");
  if (cfg.snapshot_dir.empty())
    cfg.snapshot_dir = cfg.store / "snapshots";
  return {};
}

}  // namespace kforge::runtime
