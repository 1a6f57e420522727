#include "daemon/secrets.hpp"

#include <cstdlib>

#include "daemon/file_io.hpp"

namespace bluegreen::daemon {

std::optional<std::string> read_secret(const secret_ref& ref, std::string& error_message) {
  std::filesystem::path path;
  if (ref.from == secret_ref::source::file) {
    path = ref.name;
  } else {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) {
      error_message = "systemd credential \"" + ref.name +
                      "\" is not available: $CREDENTIALS_DIRECTORY is not set (add "
                      "LoadCredential=" +
                      ref.name + ":/path to the service)";
      return std::nullopt;
    }
    path = std::filesystem::path(dir) / ref.name;
  }
  std::string why;
  auto text = read_file_text(path, why);
  if (!text) {
    error_message = "cannot read secret file " + path.string() + ": " + why;
    return std::nullopt;
  }
  std::string value = std::move(*text);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) {
    error_message = "secret file " + path.string() + " is empty";
    return std::nullopt;
  }
  return value;
}

}  // namespace bluegreen::daemon
