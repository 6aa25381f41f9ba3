#include "runtime/daemon/daemon_config.hpp"

#include <toml.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace kforge::runtime {

namespace {

struct daemon_config_error {
  std::string message;
};

std::string where(const std::string& file, const toml::value& v) {
  auto loc = v.location();
  if (loc.line() > 0 && loc.file_name() != "unknown file")
    return file + ":" + std::to_string(loc.line());
  return file;
}

template <class T>
void get(const std::string& file, const toml::value& table, const char* key, T& out) {
  if (!table.contains(key))
    return;
  const auto& v = table.at(key);
  try {
    out = toml::get<T>(v);
  } catch (const std::exception&) {
    throw daemon_config_error{where(file, v) + ": key '" + key + "' has the wrong type"};
  }
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty())
    return {};
  std::filesystem::path path{p};
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

daemon_config parse(const toml::value& root, const std::filesystem::path& name) {
  const std::string file = name.string();
  daemon_config cfg;
  if (!root.contains("daemon"))
    return cfg;
  const auto& t = root.at("daemon");
  if (!t.is_table())
    throw daemon_config_error{where(file, t) + ": 'daemon' must be a table"};
  const std::set<std::string> known{"campaigns",
                                    "store",
                                    "store_map_mib",
                                    "listen",
                                    "port",
                                    "token",
                                    "token_env",
                                    "static_dir",
                                    "snapshot_dir",
                                    "port_file",
                                    "poll_ms",
                                    "tick_ms",
                                    "max_body_bytes",
                                    "request_timeout_s",
                                    "max_connections",
                                    "threads"};
  for (const auto& [key, value] : t.as_table())
    if (known.count(key) == 0)
      throw daemon_config_error{where(file, value) + ": unknown key '" + key + "' in [daemon]"};
  auto base = name.parent_path();
  std::string campaigns;
  std::string store;
  std::string static_dir;
  std::string snapshot_dir;
  std::string port_file;
  get(file, t, "campaigns", campaigns);
  get(file, t, "store", store);
  get(file, t, "static_dir", static_dir);
  get(file, t, "snapshot_dir", snapshot_dir);
  get(file, t, "port_file", port_file);
  cfg.campaigns = resolve(base, campaigns);
  cfg.store = resolve(base, store);
  cfg.static_dir = resolve(base, static_dir);
  cfg.snapshot_dir = resolve(base, snapshot_dir);
  cfg.port_file = resolve(base, port_file);
  get(file, t, "store_map_mib", cfg.store_map_mib);
  get(file, t, "listen", cfg.listen);
  get(file, t, "port", cfg.port);
  get(file, t, "token", cfg.token);
  get(file, t, "token_env", cfg.token_env);
  get(file, t, "poll_ms", cfg.poll_ms);
  get(file, t, "tick_ms", cfg.tick_ms);
  get(file, t, "max_body_bytes", cfg.max_body_bytes);
  get(file, t, "request_timeout_s", cfg.request_timeout_s);
  get(file, t, "max_connections", cfg.max_connections);
  get(file, t, "threads", cfg.threads);
  auto check = [&](const char* key, int64_t v, int64_t lo, int64_t hi) {
    if (t.contains(key) && (v < lo || v > hi))
      throw daemon_config_error{where(file, t.at(key)) + ": '" + key + "' must lie in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]"};
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
  try {
    std::istringstream in{text};
    auto root = toml::parse(in, name.string());
    return parse(root, name);
  } catch (const daemon_config_error& e) {
    return make_error(errc::bad_config, e.message);
  } catch (const toml::syntax_error& e) {
    std::string first = e.what();
    return make_error(errc::bad_config, name.string() + ":" + std::to_string(e.location().line()) +
                                            ": syntax error: " + first.substr(0, first.find('\n')));
  } catch (const std::exception& e) {
    return make_error(errc::bad_config, name.string() + ": " + e.what());
  }
}

caf::expected<daemon_config> load_daemon_config(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return make_error(errc::bad_config, file.string() + ": cannot open the daemon config");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_daemon_config(buf.str(), std::filesystem::absolute(file).lexically_normal());
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
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
