#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace kforge {

/// SHA-256 of `data` as 64 lowercase hex characters.
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex characters (a worker's answer to a
/// coordinator's challenge: the key never travels).
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// True if `a` and `b` are equal, compared in time that depends only on their lengths.
[[nodiscard]] bool equal_in_constant_time(std::string_view a, std::string_view b) noexcept;

/// `bytes` random bytes from the operating system's generator as 2 x bytes hex characters; empty
/// if the generator fails. For nonces, never for a seeded search.
[[nodiscard]] std::string random_hex(std::size_t bytes);

/// Incremental SHA-256 over several parts, each length-prefixed so that
/// ("ab", "c") and ("a", "bc") hash differently.
class content_hasher {
 public:
  content_hasher();
  ~content_hasher();
  content_hasher(const content_hasher&) = delete;
  content_hasher& operator=(const content_hasher&) = delete;

  /// Adds one length-prefixed part.
  content_hasher& add(std::string_view part);

  /// Returns the hex digest; the hasher must not be used afterwards.
  [[nodiscard]] std::string finish();

 private:
  struct ctx_deleter {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, ctx_deleter> ctx_;
};

/// Short id for display: the first 12 hex characters of a digest.
[[nodiscard]] inline std::string short_id(std::string_view digest) {
  return std::string{digest.substr(0, 12)};
}

}  // namespace kforge
