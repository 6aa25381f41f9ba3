#include "runtime/campaign/workers_setup.hpp"

#include "runtime/base/log.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace kforge::runtime {

caf::expected<std::pair<std::string, uint16_t>> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return make_error(errc::bad_config, "'" + text + "' is not HOST:PORT");
  auto host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto digits = text.substr(colon + 1);
  if (digits.size() > 5 || !std::all_of(digits.begin(), digits.end(),
                                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return make_error(errc::bad_config, "'" + text + "': the port must be a number from 0 to 65535");
  auto port = std::stol(digits);
  if (port > 65535)
    return make_error(errc::bad_config, "'" + text + "': the port must be a number from 0 to 65535");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

bool is_loopback(const std::string& address) {
  if (address == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

caf::expected<std::string> read_secret(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return make_error(errc::io_failed, "cannot read the secret file " + file.string());
  std::stringstream buf;
  buf << in.rdbuf();
  auto secret = buf.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back())))
    secret.pop_back();
  if (secret.size() < 16)
    return make_error(errc::bad_config, "the secret in " + file.string() +
                                            " is shorter than 16 characters (try: openssl rand -hex 32 > " +
                                            file.string() + ")");
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    log::logger{"kforge.workers"}.warning("the secret file is readable by others (chmod 600 it)",
                                          {{"file", file.string()}});
  return secret;
}

void load_network(caf::actor_system_config& cfg, bool tls) {
  cfg.load<caf::io::middleman>();
  if (tls)
    cfg.load<caf::openssl::manager>();
}

std::string listen_summary(const workers_settings& w, uint16_t port) {
  auto host = parse_endpoint(w.listen);
  return (host ? host->first : w.listen) + ':' + std::to_string(port) + (w.tls ? ", TLS" : ", plaintext") +
         (w.local ? " (this host verifies too)" : " (workers only)");
}

caf::expected<coordinator> start_coordinator(caf::actor_system& sys, const workers_settings& w,
                                             std::shared_ptr<const kforge::task_map> tasks,
                                             actors::verifier_actor local, const std::string& local_device) {
  auto secret = read_secret(w.secret_file);
  if (!secret)
    return std::move(secret.error());
  auto endpoint = parse_endpoint(w.listen);
  if (!endpoint)
    return std::move(endpoint.error());
  actors::worker_router_config rc;
  rc.heartbeat = std::chrono::milliseconds{w.heartbeat_ms};
  rc.deadline = std::chrono::milliseconds{w.deadline_ms};
  coordinator out;
  out.router = actors::spawn_worker_router(sys, std::move(tasks), rc, local, local_device, w.local_slots);
  out.registry = actors::spawn_worker_registry(sys, std::move(*secret), out.router);
  auto port = w.tls ? caf::openssl::publish(out.registry, endpoint->second, endpoint->first.c_str(), true)
                    : sys.middleman().publish(out.registry, endpoint->second, endpoint->first.c_str(), true);
  if (!port) {
    caf::anon_send_exit(out.registry, caf::exit_reason::user_shutdown);
    caf::anon_send(out.router, drain_atom_v);
    return make_error(errc::io_failed,
                      "[workers] listen = \"" + w.listen + "\": cannot listen: " + sys.render(port.error()));
  }
  out.port = *port;
  log::logger{"kforge.workers"}.info("workers listening",
                                     {{"address", endpoint->first + ":" + std::to_string(out.port)},
                                      {"tls", w.tls ? "anonymous" : "off"},
                                      {"local", w.local ? "yes" : "no"}});
  return out;
}

}  // namespace kforge::runtime
