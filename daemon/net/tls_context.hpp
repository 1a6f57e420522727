// The TLS settings every HTTPS request of the process shares: one client
// context with the system CA store, peer verification and TLS 1.2 at least,
// built once (loading the system store is the slow part) instead of per
// request. Per-target extra CA files are loaded into their own certificate
// stores, kept by path and reloaded when the file changes, and attached to
// single connections, so one target's private CA is never trusted for
// another target. What OpenSSL needs stays behind `native`
// (tls_context_native.hpp), so this header pulls in no Asio or OpenSSL.
//
// Thread-safety: safe to use from several threads; the store cache is
// guarded by a mutex.
#pragma once

#include <memory>

namespace bluegreen::net {

class tls_context {
 public:
  tls_context();
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  // The process-wide context, created on first use.
  static std::shared_ptr<tls_context> shared();

  struct native;
  native& get() const { return *native_; }

 private:
  std::unique_ptr<native> native_;
};

}  // namespace bluegreen::net
