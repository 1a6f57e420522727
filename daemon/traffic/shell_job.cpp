#include "daemon/traffic/shell_job.hpp"

#include "daemon/ssh/runner.hpp"

namespace bluegreen::traffic {

std::string last_lines(const std::vector<std::string>& lines, size_t count) {
  std::string out;
  size_t start = lines.size() > count ? lines.size() - count : 0;
  for (size_t i = start; i < lines.size(); ++i) out += (out.empty() ? "" : " | ") + lines[i];
  return out;
}

std::string shell_output::error_tail(size_t lines) const { return last_lines(errors, lines); }

ssh::destination destination_of(const daemon::ssh_target& target) {
  return ssh::destination{target.user, target.host, target.port};
}

boost::asio::awaitable<shell_output> run_shell(ssh::runner& runner,
                                               const std::optional<daemon::ssh_target>& host,
                                               std::string command) {
  auto output = std::make_shared<shell_output>();
  ssh::job j;
  if (host) j.to = destination_of(*host);
  j.command = std::move(command);
  j.timeout = std::chrono::seconds(60);
  j.lane = ssh::lane::traffic;
  ssh::line_sink collect = [output](std::vector<ssh::output_line>&& lines) {
    for (auto& l : lines) {
      if (l.from == ssh::stream::out)
        output->out += (output->out.empty() ? "" : "\n") + l.text;
      else
        output->errors.push_back(std::move(l.text));
    }
  };
  ssh::cancel_handle cancel = ssh::make_cancel_handle();
  output->result = co_await runner.run(j, collect, cancel);
  co_return std::move(*output);
}

}  // namespace bluegreen::traffic
