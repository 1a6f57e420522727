#include "daemon/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "daemon/net/tls_context_native.hpp"

namespace bluegreen::net {

namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

tls_context::native::native() : context(ssl::context::tls_client) {
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_default_verify_paths();
  context.set_verify_mode(ssl::verify_peer);
}

tls_context::native::~native() {
  for (auto& [path, entry] : stores) X509_STORE_free(entry.store);
}

tls_context::tls_context() : native_(std::make_unique<native>()) {}
tls_context::~tls_context() = default;

std::shared_ptr<tls_context> tls_context::shared() {
  static const std::shared_ptr<tls_context> instance = std::make_shared<tls_context>();
  return instance;
}

bool prepare_connection(tls_context& tls, SSL* ssl, const std::string& host, bool ip_literal,
                        const std::string& ca_file, std::string& error) {
  // OpenSSL's own name and address checks (rather than a verify callback)
  // leave the precise reason in the verify result for verify_failure.
  if (ip_literal) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      error = "cannot check the certificate against " + host + ": " + openssl_error();
      return false;
    }
  } else {
    // SNI carries names only, never addresses (RFC 6066).
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
      error = "cannot check the certificate against " + host + ": " + openssl_error();
      return false;
    }
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (ca_file.empty()) return true;

  std::error_code ec;
  auto modified = std::filesystem::last_write_time(ca_file, ec);
  std::uintmax_t size = ec ? 0 : std::filesystem::file_size(ca_file, ec);
  if (ec) {
    error = "cannot read the CA file " + ca_file + ": " + ec.message();
    return false;
  }
  auto& state = tls.get();
  std::lock_guard lock(state.mutex);
  auto& entry = state.stores[ca_file];
  if (!entry.store || entry.modified != modified || entry.size != size) {
    X509_STORE* store = X509_STORE_new();
    if (!store || X509_STORE_set_default_paths(store) != 1 ||
        X509_STORE_load_file(store, ca_file.c_str()) != 1) {
      error = "cannot read the CA file " + ca_file + ": " + openssl_error();
      X509_STORE_free(store);
      if (!entry.store) state.stores.erase(ca_file);
      return false;
    }
    X509_STORE_free(entry.store);
    entry = {store, modified, size};
  }
  if (SSL_set1_verify_cert_store(ssl, entry.store) != 1) {
    error = "cannot use the CA file " + ca_file + ": " + openssl_error();
    return false;
  }
  return true;
}

std::string verify_failure(const SSL* ssl) {
  long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

}  // namespace bluegreen::net
