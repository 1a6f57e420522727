#include "daemon/secrets.hpp"

#include <cstdlib>

#include "daemon/file_io.hpp"

namespace bluegreen::daemon {

result<std::string> read_secret(const secret_ref& ref) {
  auto unavailable = [](std::string message) {
    return failure{failure::kind::internal, "secret_unavailable", std::move(message)};
  };
  std::filesystem::path path;
  if (ref.from == secret_ref::source::file) {
    path = ref.name;
  } else {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) {
      return unavailable("systemd credential \"" + ref.name +
                         "\" is not available: $CREDENTIALS_DIRECTORY is not set (add "
                         "LoadCredential=" +
                         ref.name + ":/path to the service)");
    }
    path = std::filesystem::path(dir) / ref.name;
  }
  auto text = read_file_text(path);
  if (!text) return unavailable(text.error().message);
  std::string value = std::move(*text);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) {
    return unavailable("secret file " + path.string() + " is empty");
  }
  return value;
}

}  // namespace bluegreen::daemon
