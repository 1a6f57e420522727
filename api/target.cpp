#include "api/target.hpp"

#include "daemon/utf8.hpp"

namespace bluegreen::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

daemon::failure bad_path(std::string message) {
  return daemon::failure{daemon::failure::kind::invalid, "bad_path", std::move(message)};
}

daemon::failure bad_form(std::string message) {
  return daemon::failure{daemon::failure::kind::invalid, "bad_form", std::move(message)};
}

}  // namespace

daemon::result<parsed_target> parse_target(std::string_view target) {
  if (!target.starts_with('/')) {
    return bad_path("the request target must be an absolute path");
  }
  parsed_target out;
  auto question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::string_view raw_query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  size_t start = 1;
  while (start <= raw_path.size()) {
    size_t slash = raw_path.find('/', start);
    if (slash == std::string_view::npos) slash = raw_path.size();
    std::string_view raw_segment = raw_path.substr(start, slash - start);
    auto segment = decode(raw_segment, false);
    if (!segment) {
      return bad_path("malformed percent-encoding in the path");
    }
    // App, task and route names are UTF-8 text; other bytes name nothing.
    if (!daemon::utf8::is_valid(*segment)) {
      return bad_path("the path must be UTF-8 (percent-encoded bytes such as %ff are not)");
    }
    if (*segment == ".." || *segment == ".") {
      return bad_path("the path must not contain '.' or '..' segments");
    }
    if (segment->find('/') != std::string::npos || segment->find('\\') != std::string::npos ||
        segment->find('\0') != std::string::npos) {
      return bad_path("the path must not contain encoded slashes, backslashes or NUL");
    }
    // An empty last segment is a trailing slash; keep it out of the list.
    if (!(segment->empty() && slash == raw_path.size())) out.segments.push_back(*segment);
    start = slash + 1;
  }
  for (const auto& s : out.segments) out.path += "/" + s;
  if (out.path.empty()) out.path.push_back('/');

  auto query = parse_form(raw_query, "the query");
  if (!query) return bad_path(query.error().message);
  out.query = std::move(*query);
  return out;
}

daemon::result<std::map<std::string, std::string>> parse_form(std::string_view text,
                                                              std::string_view what) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(pos, amp - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto key = decode(pair.substr(0, eq), true);
      auto value = decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return bad_form("malformed percent-encoding in " + std::string(what));
      if (!daemon::utf8::is_valid(*key) || !daemon::utf8::is_valid(*value))
        return bad_form(std::string(what) +
                        " must be UTF-8 (percent-encoded bytes such as %ff are not)");
      out[*key] = std::move(*value);
    }
    pos = amp + 1;
  }
  return out;
}

std::string form_value(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

}  // namespace bluegreen::api
