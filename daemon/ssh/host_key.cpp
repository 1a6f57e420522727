#include "daemon/ssh/host_key.hpp"

#include <libssh2.h>
#include <openssl/evp.h>

#include <memory>

namespace bluegreen::ssh {

namespace {

std::string base64(const unsigned char* data, size_t size, bool pad) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                          static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  if (!pad)
    while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

struct key_kind {
  int knownhost_bit;
  const char* name;     // as in known_hosts
  const char* keyscan;  // ssh-keyscan -t value
};

key_kind kind_of(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return {LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa", "rsa"};
    case LIBSSH2_HOSTKEY_TYPE_DSS: return {LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss", "dsa"};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
      return {LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256", "ecdsa"};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
      return {LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384", "ecdsa"};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
      return {LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521", "ecdsa"};
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return {LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519", "ed25519"};
    default: return {LIBSSH2_KNOWNHOST_KEY_UNKNOWN, "unknown", "ed25519"};
  }
}

// How the host appears in known_hosts: "host" on port 22, "[host]:port" otherwise.
std::string known_hosts_name(const destination& to) {
  if (to.port == 22) return to.host;
  return "[" + to.host + "]:" + std::to_string(to.port);
}

}  // namespace

host_key_verdict check_host_key(_LIBSSH2_SESSION* session, const destination& to,
                                const std::filesystem::path& known_hosts) {
  size_t key_size = 0;
  int key_type = 0;
  const char* key = libssh2_session_hostkey(session, &key_size, &key_type);
  if (!key) return {error_kind::host_key_unknown, "the server at " + to.label() + " sent no host key"};
  key_kind kind = kind_of(key_type);
  const char* hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  std::string fingerprint =
      hash ? "SHA256:" + base64(reinterpret_cast<const unsigned char*>(hash), 32, false) : "?";
  std::string name = known_hosts_name(to);
  std::string key_line =
      name + " " + kind.name + " " +
      base64(reinterpret_cast<const unsigned char*>(key), key_size, true);

  std::unique_ptr<LIBSSH2_KNOWNHOSTS, decltype(&libssh2_knownhost_free)> hosts(
      libssh2_knownhost_init(session), &libssh2_knownhost_free);
  bool file_read = false;
  if (hosts) {
    std::error_code ec;
    if (std::filesystem::exists(known_hosts, ec))
      file_read = libssh2_knownhost_readfile(hosts.get(), known_hosts.c_str(),
                                             LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0;
  }
  int check = LIBSSH2_KNOWNHOST_CHECK_NOTFOUND;
  if (file_read) {
    libssh2_knownhost* found = nullptr;
    check = libssh2_knownhost_checkp(
        hosts.get(), to.host.c_str(), to.port, key, key_size,
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kind.knownhost_bit, &found);
  }
  if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH) return {};

  std::string keyscan = "ssh-keyscan " + std::string(to.port == 22 ? "" : "-p " + std::to_string(to.port) + " ") +
                        "-t " + kind.keyscan + " " + to.host + " >> " + known_hosts.string();
  if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
    return {error_kind::host_key_changed,
            "HOST KEY CHANGED for " + name + ": the server now offers " + kind.name + " key " +
                fingerprint + ", which differs from the key in " + known_hosts.string() +
                ". Someone may be intercepting the connection, or the server was reinstalled. "
                "Refusing to connect. If the change is expected, verify the new fingerprint, "
                "remove the old entry with: ssh-keygen -R '" + name + "' -f " +
                known_hosts.string() + " and add the new one with: " + keyscan};
  }
  return {error_kind::host_key_unknown,
          "the host key of " + name + " (" + kind.name + " " + fingerprint + ") is not in " +
              known_hosts.string() + (file_read ? "" : " (the file is missing or unreadable)") +
              ". If that fingerprint is the server's, add it with: " + keyscan +
              "   (it adds the line: " + key_line + ")"};
}

}  // namespace bluegreen::ssh
