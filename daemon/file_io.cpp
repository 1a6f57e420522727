#include "daemon/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bluegreen::daemon {

namespace {

failure io_failure(std::string message) {
  return failure{failure::kind::internal, "io", std::move(message)};
}

}  // namespace

result<std::string> read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_failure("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// The rename of a file into its directory lasts once the directory is synced.
void sync_directory(const std::filesystem::path& path) {
  int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

result<void> replace_file(const std::filesystem::path& path, const std::string& text,
                          durability how) {
  std::string temp = path.string() + ".bluegreen-new";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_failure("cannot write " + temp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return io_failure("cannot write " + temp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  bool synced = how == durability::later || ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0)
    return io_failure("cannot replace " + path.string() + ": " + std::strerror(errno));
  if (how == durability::now) sync_directory(path);
  return {};
}

result<void> sync_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_failure("cannot open " + path.string() + ": " + std::strerror(errno));
  bool synced = ::fsync(fd) == 0;
  std::string why = synced ? std::string() : std::strerror(errno);
  ::close(fd);
  if (!synced) return io_failure("cannot sync " + path.string() + ": " + why);
  sync_directory(path);
  return {};
}

}  // namespace bluegreen::daemon
