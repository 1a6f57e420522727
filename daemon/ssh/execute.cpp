#include "daemon/ssh/execute.hpp"

#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <stdexcept>

#include "daemon/duration.hpp"
#include "daemon/shell_quote.hpp"
#include "daemon/ssh/host_key.hpp"
#include "daemon/ssh/output_splitter.hpp"

namespace bluegreen::ssh {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum class waited { ready, timed_out, cancelled };

int remaining_ms(clock::time_point deadline, milliseconds cap) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min(left, cap).count());
}

// Waits until the socket is ready in the direction libssh2 is blocked on,
// the deadline passes, or the job is cancelled.
waited wait_socket(LIBSSH2_SESSION* s, int fd, clock::time_point deadline,
                   const cancel_flag& cancel, milliseconds cap = milliseconds(1000)) {
  if (cancel.cancelled()) return waited::cancelled;
  int directions = s ? libssh2_session_block_directions(s) : LIBSSH2_SESSION_BLOCK_INBOUND;
  short events = 0;
  if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) events |= POLLIN;
  if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) events |= POLLOUT;
  if (!events) events = POLLIN;
  int wait = remaining_ms(deadline, cap);
  if (wait == 0) return waited::timed_out;
  pollfd fds[2] = {{fd, events, 0}, {cancel.fd(), POLLIN, 0}};
  poll(fds, 2, wait);
  if (cancel.cancelled()) return waited::cancelled;
  if (clock::now() >= deadline) return waited::timed_out;
  return waited::ready;
}

std::string last_error(LIBSSH2_SESSION* s) {
  char* message = nullptr;
  libssh2_session_last_error(s, &message, nullptr, 0);
  return message ? message : "unknown error";
}

std::string local_user() {
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return "root";
}

// The state of one job's connection; frees everything in reverse order.
struct connection {
  int fd = -1;
  LIBSSH2_SESSION* session = nullptr;
  LIBSSH2_CHANNEL* channel = nullptr;

  ~connection() {
    if (session) {
      // Bounded, blocking teardown: the job's result is already decided.
      libssh2_session_set_blocking(session, 1);
      libssh2_session_set_timeout(session, 1000);
      if (channel) libssh2_channel_free(channel);
      libssh2_session_disconnect(session, "done");
      libssh2_session_free(session);
    }
    if (fd >= 0) close(fd);
  }
};

struct failure {
  error_kind kind;
  std::string message;
};

// Repeats a libssh2 call that returns an int while it says EAGAIN.
template <typename F>
int retry(connection& c, clock::time_point deadline, const cancel_flag& cancel, waited& why,
          F&& call) {
  for (;;) {
    int rc = call();
    if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
    why = wait_socket(c.session, c.fd, deadline, cancel);
    if (why != waited::ready) return rc;
  }
}

std::optional<failure> tcp_connect(connection& c, const destination& to, milliseconds timeout,
                                   const cancel_flag& cancel) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(to.port);
  int rc = getaddrinfo(to.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0)
    return failure{error_kind::connect_failed,
                   "cannot resolve " + to.host + ": " + gai_strerror(rc)};
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  auto deadline = clock::now() + timeout;
  std::string reason = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      reason = std::strerror(errno);
      close(fd);
      continue;
    }
    pollfd fds[2] = {{fd, POLLOUT, 0}, {cancel.fd(), POLLIN, 0}};
    int ready = poll(fds, 2, remaining_ms(deadline, timeout));
    if (cancel.cancelled()) {
      close(fd);
      return failure{error_kind::cancelled, "cancelled while connecting to " + to.label()};
    }
    if (ready <= 0 || !(fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      close(fd);
      return failure{error_kind::connect_failed,
                     "cannot connect to " + to.label() + ": no answer within " +
                         daemon::format_duration(timeout) + " (ssh.connect_timeout)"};
    }
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      reason = std::strerror(error);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    c.fd = fd;
    return std::nullopt;
  }
  return failure{error_kind::connect_failed, "cannot connect to " + to.label() + ": " + reason};
}

std::optional<failure> authenticate(connection& c, const std::string& user, const options& opts,
                                    clock::time_point deadline, const cancel_flag& cancel) {
  waited why = waited::ready;
  auto interrupted = [&]() -> std::optional<failure> {
    if (why == waited::cancelled) return failure{error_kind::cancelled, "cancelled while authenticating"};
    if (why == waited::timed_out)
      return failure{error_kind::connect_failed, "authentication did not finish within ssh.connect_timeout"};
    return std::nullopt;
  };
  std::string tried;
  if (opts.identity) {
    const auto& path = *opts.identity;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
      return failure{error_kind::auth_failed,
                     "cannot read identity file " + path.string() + ": " + std::strerror(errno)};
    if (st.st_mode & 077) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      return failure{error_kind::auth_failed,
                     "identity file " + path.string() + " is accessible by others (mode " + mode +
                         "); a private key must be private: chmod 600 " + path.string()};
    }
    int rc = retry(c, deadline, cancel, why, [&] {
      return libssh2_userauth_publickey_fromfile_ex(c.session, user.c_str(),
                                                    static_cast<unsigned>(user.size()), nullptr,
                                                    path.c_str(), nullptr);
    });
    if (auto f = interrupted()) return f;
    if (rc == 0) return std::nullopt;
    tried = "key " + path.string() + " (" + last_error(c.session) + ")";
  }
  if (opts.use_agent) {
    std::unique_ptr<LIBSSH2_AGENT, decltype(&libssh2_agent_free)> agent(
        libssh2_agent_init(c.session), &libssh2_agent_free);
    if (agent && libssh2_agent_connect(agent.get()) == 0 &&
        libssh2_agent_list_identities(agent.get()) == 0) {
      libssh2_agent_publickey* identity = nullptr;
      libssh2_agent_publickey* previous = nullptr;
      while (libssh2_agent_get_identity(agent.get(), &identity, previous) == 0) {
        int rc = retry(c, deadline, cancel, why, [&] {
          return libssh2_agent_userauth(agent.get(), user.c_str(), identity);
        });
        if (auto f = interrupted()) {
          libssh2_agent_disconnect(agent.get());
          return f;
        }
        if (rc == 0) {
          libssh2_agent_disconnect(agent.get());
          return std::nullopt;
        }
        previous = identity;
      }
      libssh2_agent_disconnect(agent.get());
      tried += std::string(tried.empty() ? "" : ", ") + "every key in ssh-agent";
    } else {
      tried += std::string(tried.empty() ? "" : ", ") +
               "ssh-agent (not reachable: is SSH_AUTH_SOCK set?)";
    }
  }
  if (tried.empty()) tried = "nothing: set ssh.identity or ssh.use_agent";
  return failure{error_kind::auth_failed,
                 "the server refused to log in " + user + " with " + tried +
                     ". Check that the public key is in ~" + user +
                     "/.ssh/authorized_keys on the host (RSA keys do not work against OpenSSH "
                     "8.8 or later: use ed25519 or ecdsa)"};
}

// The script run by `sh -c` on the host: report the process group (so a
// cancel can stop the whole command), read the environment from stdin
// (values never appear on a command line), then run the command.
std::string remote_command(const job& j) {
  std::string script =
      "pgid=$$; [ -r /proc/$$/stat ] && read -r _ _ _ _ pgid _ < /proc/$$/stat; "
      "printf '\\036bluegreen-pgid %s\\n' \"$pgid\" >&2\n";
  for (const auto& var : j.env)
    script += "IFS= read -r " + var.name + " || exit 97; export " + var.name + "\n";
  script += j.command;
  // exec: the login shell becomes sh, so the exit status or signal is the
  // command's own and the process group is the session's. The marker goes
  // into the environment of everything the command starts.
  std::string marked;
  if (!j.marker.empty()) marked = "env BLUEGREEN_OPERATION=" + daemon::shell_quote(j.marker) + " ";
  return "exec " + marked + "sh -c " + daemon::shell_quote(script);
}

// Stops the remote command's process group through a second channel.
void stop_remote(connection& c, std::optional<long> process_group) {
  if (!process_group || *process_group <= 1) return;
  auto deadline = clock::now() + milliseconds(3000);
  cancel_flag never;
  waited why = waited::ready;
  LIBSSH2_CHANNEL* ch = nullptr;
  for (;;) {
    ch = libssh2_channel_open_session(c.session);
    if (ch || libssh2_session_last_errno(c.session) != LIBSSH2_ERROR_EAGAIN) break;
    if (wait_socket(c.session, c.fd, deadline, never) != waited::ready) break;
  }
  if (!ch) return;
  std::string pg = std::to_string(*process_group);
  // "-s TERM --" is the spelling that both bash and dash accept.
  std::string command = "kill -s TERM -- -" + pg + " 2>/dev/null || kill -s TERM " + pg;
  retry(c, deadline, never, why, [&] { return libssh2_channel_exec(ch, command.c_str()); });
  retry(c, deadline, never, why, [&] { return libssh2_channel_close(ch); });
  retry(c, deadline, never, why, [&] { return libssh2_channel_wait_closed(ch); });
  libssh2_channel_free(ch);
}

// Sets a method preference from the names this libssh2 supports, in our
// order. (libssh2 1.10 mishandles names it does not know: it removes them
// with an overlapping memcpy.)
void set_preference(LIBSSH2_SESSION* s, int method, std::initializer_list<std::string_view> wanted) {
  const char** supported = nullptr;
  int count = libssh2_session_supported_algs(s, method, &supported);
  std::string list;
  for (auto name : wanted) {
    for (int i = 0; i < count; ++i) {
      if (name == supported[i]) {
        list += (list.empty() ? "" : ",") + std::string(name);
        break;
      }
    }
  }
  if (count > 0) libssh2_free(s, supported);
  if (!list.empty()) libssh2_session_method_pref(s, method, list.c_str());
}

job_result finish(job_result r, clock::time_point started) {
  r.elapsed = std::chrono::duration_cast<milliseconds>(clock::now() - started);
  return r;
}

}  // namespace

library::library() {
  if (libssh2_init(0) != 0) throw std::runtime_error("libssh2_init failed");
}

library::~library() { libssh2_exit(); }

job_result execute(const job& j, const options& opts, const cancel_flag& cancel,
                   const line_sink& sink) {
  auto started = clock::now();
  job_result result;
  result.host = j.to;
  auto fail = [&](error_kind kind, std::string message) {
    result.error = kind;
    result.message = std::move(message);
    return finish(result, started);
  };
  for (const auto& var : j.env) {
    if (var.value.find('\n') != std::string::npos || var.value.find('\0') != std::string::npos)
      return fail(error_kind::channel_error,
                  "the value of " + var.name + " contains a newline or NUL, which cannot be passed");
  }

  connection c;
  if (auto f = tcp_connect(c, j.to, opts.connect_timeout, cancel)) return fail(f->kind, f->message);

  auto connect_deadline = clock::now() + opts.connect_timeout;
  c.session = libssh2_session_init();
  if (!c.session) return fail(error_kind::connect_failed, "cannot create an SSH session");
  libssh2_session_set_blocking(c.session, 0);
  // Elliptic-curve key exchange first: a Diffie-Hellman group exchange costs
  // the server a large modular exponentiation on every connection.
  set_preference(c.session, LIBSSH2_METHOD_KEX,
                 {"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
                  "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256",
                  "diffie-hellman-group16-sha512", "diffie-hellman-group-exchange-sha256"});
  set_preference(c.session, LIBSSH2_METHOD_HOSTKEY,
                 {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                  "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"});
  waited why = waited::ready;
  int rc = retry(c, connect_deadline, cancel, why,
                 [&] { return libssh2_session_handshake(c.session, c.fd); });
  if (why == waited::cancelled) return fail(error_kind::cancelled, "cancelled during the SSH handshake");
  if (rc != 0)
    return fail(error_kind::connect_failed,
                "SSH handshake with " + j.to.label() + " failed: " +
                    (why == waited::timed_out ? "no answer within ssh.connect_timeout"
                                              : last_error(c.session)));

  auto verdict = check_host_key(c.session, j.to, opts.known_hosts);
  if (verdict.error != error_kind::none) return fail(verdict.error, verdict.message);

  std::string user = j.to.user.empty() ? local_user() : j.to.user;
  if (auto f = authenticate(c, user, opts, connect_deadline, cancel)) return fail(f->kind, f->message);

  if (j.connect_only) {
    result.exit_code = 0;
    return finish(result, started);
  }

  if (opts.keepalive.count() > 0)
    libssh2_keepalive_config(c.session, 1,
                             static_cast<unsigned>(std::max<long>(1, opts.keepalive.count() / 1000)));

  auto deadline = clock::now() + j.timeout;
  for (;;) {
    c.channel = libssh2_channel_open_session(c.session);
    if (c.channel || libssh2_session_last_errno(c.session) != LIBSSH2_ERROR_EAGAIN) break;
    why = wait_socket(c.session, c.fd, deadline, cancel);
    if (why == waited::cancelled) return fail(error_kind::cancelled, "cancelled before the command started");
    if (why == waited::timed_out) return fail(error_kind::timeout, "timed out opening a channel");
  }
  if (!c.channel)
    return fail(error_kind::channel_error, "cannot open a channel: " + last_error(c.session));

  std::string command = remote_command(j);
  rc = retry(c, deadline, cancel, why, [&] { return libssh2_channel_exec(c.channel, command.c_str()); });
  if (why == waited::cancelled) return fail(error_kind::cancelled, "cancelled before the command started");
  if (rc != 0)
    return fail(error_kind::channel_error, "the host refused to run the command: " + last_error(c.session));

  std::string input;
  for (const auto& var : j.env) input += var.value + "\n";
  size_t written = 0;
  while (written < input.size()) {
    ssize_t n = libssh2_channel_write(c.channel, input.data() + written, input.size() - written);
    if (n == LIBSSH2_ERROR_EAGAIN) {
      why = wait_socket(c.session, c.fd, deadline, cancel);
      if (why != waited::ready) break;
      continue;
    }
    if (n < 0) return fail(error_kind::channel_error, "cannot send the environment: " + last_error(c.session));
    written += static_cast<size_t>(n);
  }
  if (why == waited::ready)
    retry(c, deadline, cancel, why, [&] { return libssh2_channel_send_eof(c.channel); });

  output_splitter splitter(j);
  std::vector<output_line> batch;
  auto flush = [&] {
    if (!batch.empty() && sink) sink(std::move(batch));
    batch.clear();
  };

  char buffer[32 * 1024];
  std::optional<failure> stopped;
  if (why == waited::cancelled) stopped = failure{error_kind::cancelled, "cancelled"};
  if (why == waited::timed_out) stopped = failure{error_kind::timeout, "timed out"};
  bool eof_seen = false;
  while (!stopped) {
    bool progressed = false;
    for (stream from : {stream::out, stream::err}) {
      for (;;) {
        ssize_t n = from == stream::out
                        ? libssh2_channel_read(c.channel, buffer, sizeof buffer)
                        : libssh2_channel_read_stderr(c.channel, buffer, sizeof buffer);
        if (n > 0) {
          splitter.feed(from, std::string_view(buffer, static_cast<size_t>(n)), batch);
          progressed = true;
          if (batch.size() >= 512) flush();
          continue;
        }
        if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) break;
        flush();
        return fail(error_kind::channel_error,
                    "lost the connection to " + j.to.label() + ": " + last_error(c.session));
      }
    }
    flush();
    if (eof_seen && !progressed) break;
    if (libssh2_channel_eof(c.channel)) {
      // One more pass reads what arrived with the EOF.
      eof_seen = true;
      continue;
    }
    if (progressed) continue;
    int next_keepalive = 0;
    if (opts.keepalive.count() > 0) libssh2_keepalive_send(c.session, &next_keepalive);
    why = wait_socket(c.session, c.fd, deadline, cancel);
    if (why == waited::cancelled) stopped = failure{error_kind::cancelled, "cancelled"};
    if (why == waited::timed_out) stopped = failure{error_kind::timeout, "timed out"};
  }

  if (stopped) {
    splitter.finish(batch);
    flush();
    stop_remote(c, splitter.process_group());
    if (stopped->kind == error_kind::timeout)
      return fail(error_kind::timeout, "the command did not finish within " +
                                           daemon::format_duration(j.timeout) +
                                           " and was stopped");
    return fail(error_kind::cancelled, "cancelled; the command was stopped");
  }
  splitter.finish(batch);
  flush();

  auto close_deadline = clock::now() + milliseconds(5000);
  retry(c, close_deadline, cancel, why, [&] { return libssh2_channel_close(c.channel); });
  retry(c, close_deadline, cancel, why, [&] { return libssh2_channel_wait_closed(c.channel); });
  char* signal = nullptr;
  size_t signal_len = 0;
  libssh2_channel_get_exit_signal(c.channel, &signal, &signal_len, nullptr, nullptr, nullptr,
                                  nullptr);
  if (signal && signal_len > 0) {
    result.exit_signal = std::string(signal, signal_len);
    libssh2_free(c.session, signal);
  } else {
    if (signal) libssh2_free(c.session, signal);
    result.exit_code = libssh2_channel_get_exit_status(c.channel);
  }
  return finish(result, started);
}

}  // namespace bluegreen::ssh
