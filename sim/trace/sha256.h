// Incremental SHA-256 (OpenSSL's EVP underneath): the determinism
// fingerprint of a trace.
#pragma once
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace dsim::trace {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex_digest();  // finalises; call once

  static std::string of_file(const std::string& path, std::string* error);

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace dsim::trace
