#include "tests/support/tls_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace bluegreen::testing {

namespace {

template <typename T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const { Free(p); }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("making a test certificate: ") + what);
}

void write_pem(const std::filesystem::path& path, auto&& write) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "w"), &std::fclose);
  check(file != nullptr, "cannot open the output file");
  check(write(file.get()) == 1, "cannot write PEM");
}

}  // namespace

tls_certificate make_self_signed(const std::filesystem::path& dir, const std::string& name,
                                 const std::vector<std::string>& dns_names,
                                 const std::vector<std::string>& ip_addresses) {
  std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  std::unique_ptr<X509, deleter<X509, X509_free>> cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);

  std::string san;
  for (const auto& n : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, "critical,CA:TRUE");
  add(NID_key_usage, "critical,digitalSignature,keyCertSign");
  add(NID_subject_key_identifier, "hash");
  if (!san.empty()) add(NID_subject_alt_name, san);
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  tls_certificate out{dir / (name + ".crt"), dir / (name + ".key")};
  write_pem(out.certificate, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  write_pem(out.key, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

}  // namespace bluegreen::testing
