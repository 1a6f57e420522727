// What the HTTP client needs of a tls_context: the Asio SSL context, and
// setting up one connection's verification. Only tls_context.cpp and
// http_client.cpp include this (it pulls in Asio's SSL and OpenSSL).
//
// Thread-safety: prepare_connection may be called from several threads.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "daemon/net/tls_context.hpp"

namespace bluegreen::net {

struct tls_context::native {
  native();
  ~native();

  struct ca_store {
    X509_STORE* store = nullptr;
    std::filesystem::file_time_type modified;
    std::uintmax_t size = 0;
  };

  boost::asio::ssl::context context;
  std::mutex mutex;
  std::map<std::string, ca_store> stores;  // by CA file path
};

// Sets up `ssl` to verify that the peer is `host` (SNI for names; the
// certificate must match the name or the IP address) against the system
// store, plus `ca_file` when not empty. False with `error` set when the CA
// file cannot be read.
bool prepare_connection(tls_context& tls, SSL* ssl, const std::string& host, bool ip_literal,
                        const std::string& ca_file, std::string& error);

// Why certificate verification failed ("self-signed certificate",
// "hostname mismatch", ...), or empty when it did not.
std::string verify_failure(const SSL* ssl);

}  // namespace bluegreen::net
