#include "runtime/base/hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdint>
#include <vector>

namespace kforge {

namespace {

std::string to_hex(const unsigned char* bytes, unsigned int n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0f];
  }
  return out;
}

// SHA-256, fetched from OpenSSL's default provider once: EVP_sha256() in EVP_DigestInit_ex makes
// OpenSSL 3 look the implementation up again on every init (a third of a short hash's cost).
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

}  // namespace

void content_hasher::ctx_deleter::operator()(evp_md_ctx_st* ctx) const noexcept {
  EVP_MD_CTX_free(ctx);
}

content_hasher::content_hasher() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_.get(), sha256_md(), nullptr);
}

content_hasher::~content_hasher() = default;

content_hasher& content_hasher::add(std::string_view part) {
  unsigned char len[8];
  auto n = static_cast<uint64_t>(part.size());
  for (int i = 7; i >= 0; --i) {
    len[i] = static_cast<unsigned char>(n & 0xff);
    n >>= 8;
  }
  EVP_DigestUpdate(ctx_.get(), len, sizeof(len));
  EVP_DigestUpdate(ctx_.get(), part.data(), part.size());
  return *this;
}

std::string content_hasher::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), digest, &n);
  return to_hex(digest, n);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, sha256_md(), nullptr);
  return to_hex(digest, n);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &n);
  return to_hex(digest, n);
}

bool equal_in_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    return {};
  return to_hex(buf.data(), static_cast<unsigned int>(buf.size()));
}

}  // namespace kforge
