// nginx-control: how the hardened bluegreend.service tests and reloads an
// nginx on its own machine. The unit may not signal a root nginx, so this
// client asks bluegreen-nginx.socket, whose root service
// (nginx-control-server) runs `nginx -t` or `nginx -s reload` and nothing
// else. Used as the nginx backend's test_command and reload_command:
//   nginx-control test|reload [--socket PATH]
// Prints nginx's output on stderr and exits with nginx's exit status; 2 for
// a bad command line or a request the helper refused, 3 when the helper
// cannot be reached or its answer is not understood. Single-threaded.
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kDefaultSocket = "/run/bluegreen-nginx.sock";
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;
// The daemon gives a backend command 60 s; give up a little before it.
constexpr time_t kAnswerTimeoutSeconds = 55;

int usage(const std::string& why) {
  std::cerr << "nginx-control: " << why << "\n"
            << "usage: nginx-control test|reload [--socket PATH]\n"
            << "  test    runs `nginx -t` through bluegreen-nginx.socket\n"
            << "  reload  runs `nginx -s reload` through bluegreen-nginx.socket\n"
            << "  --socket PATH  the helper's socket (default " << kDefaultSocket << ")\n";
  return kUsage;
}

int unreachable(const std::string& socket_path, const std::string& why) {
  std::cerr << "nginx-control: cannot reach the nginx helper at " << socket_path << ": " << why
            << " (enable it with `systemctl enable --now bluegreen-nginx.socket`; the caller must"
               " be in group bluegreen)\n";
  return kUnreachable;
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string socket_path = kDefaultSocket;
  std::string word;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--socket") {
      if (i + 1 >= args.size()) return usage("--socket needs a path");
      socket_path = args[++i];
    } else if (args[i] == "-h" || args[i] == "--help") {
      usage("tests or reloads the local nginx for bluegreend");
      return 0;
    } else if (!word.empty() || args[i].starts_with("-")) {
      return usage("unexpected argument \"" + args[i] + "\"");
    } else {
      word = args[i];
    }
  }
  if (word != "test" && word != "reload") return usage("expected test or reload");

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path))
    return unreachable(socket_path, "the path is too long for a unix socket");
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unreachable(socket_path, std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0)
    return unreachable(socket_path, std::strerror(errno));
  timeval timeout{kAnswerTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string request = word + "\n";
  if (!write_all(fd, request) || ::shutdown(fd, SHUT_WR) != 0)
    return unreachable(socket_path, std::strerror(errno));

  // The answer: "status N\n", then what nginx printed.
  std::string answer;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
      return unreachable(socket_path, timed_out ? "no answer within 55 s" : std::strerror(errno));
    }
    if (n == 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);

  size_t end = answer.find('\n');
  std::string first = answer.substr(0, end);
  int status = -1;
  if (first.starts_with("status ") && first.size() > 7 && first.size() <= 10 &&
      first.find_first_not_of("0123456789", 7) == std::string::npos)
    status = std::stoi(first.substr(7));
  if (status < 0 || status > 255) {
    return unreachable(socket_path, answer.empty() ? "it closed the connection without an answer"
                                                   : "its answer has no status line");
  }
  if (end != std::string::npos) std::cerr << answer.substr(end + 1);
  return status;
}
