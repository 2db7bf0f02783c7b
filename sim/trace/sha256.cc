#include "sim/trace/sha256.h"

#include <openssl/evp.h>

#include <cstdio>

#include "dsim/assert.h"

namespace dsim::trace {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  DSIM_ASSERT(ctx_ != nullptr);
  DSIM_ASSERT(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(std::string_view bytes) {
  DSIM_ASSERT(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  DSIM_ASSERT(EVP_DigestFinal_ex(ctx_, md, &len) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string Sha256::of_file(const std::string& path, std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *error = "cannot open " + path;
    return {};
  }
  Sha256 h;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) h.update(std::string_view(buf, n));
  std::fclose(f);
  return h.hex_digest();
}

}  // namespace dsim::trace
