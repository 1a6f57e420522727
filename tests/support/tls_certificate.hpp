// A throwaway self-signed certificate for TLS tests: a fresh P-256 key and
// a certificate valid for the given DNS names and IP addresses, written as
// PEM files into a directory the test owns. The certificate is its own CA,
// so its file is also what a client trusts as the extra CA file.
//
// Thread-safety: plain functions, no shared state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bluegreen::testing {

struct tls_certificate {
  std::filesystem::path certificate;  // PEM, also usable as the CA file
  std::filesystem::path key;          // PEM, unencrypted
};

tls_certificate make_self_signed(const std::filesystem::path& dir, const std::string& name,
                                 const std::vector<std::string>& dns_names,
                                 const std::vector<std::string>& ip_addresses);

}  // namespace bluegreen::testing
