#include "daemon/engine/refs.hpp"

#include <algorithm>

namespace bluegreen::engine {

std::optional<std::string> check_ref(std::string_view ref) {
  if (ref.empty()) return "the ref is empty: give a branch, tag or commit id";
  if (ref.size() > 200) return "the ref is longer than 200 characters";
  for (char c : ref) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) {
      std::string shown = (c >= 0x21 && c <= 0x7e) ? std::string("'") + c + "'" : "a control or non-ASCII character";
      return "the ref contains " + shown +
             "; use only letters, digits, '.', '_', '-' and '/'";
    }
  }
  if (ref.front() == '-') return "the ref must not start with '-'";
  if (ref.front() == '/' || ref.back() == '/') return "the ref must not start or end with '/'";
  if (ref.back() == '.') return "the ref must not end with '.'";
  if (ref.find("..") != std::string_view::npos) return "the ref must not contain \"..\"";
  if (ref.find("//") != std::string_view::npos) return "the ref must not contain \"//\"";
  if (ref.size() >= 5 && ref.substr(ref.size() - 5) == ".lock")
    return "the ref must not end with \".lock\"";
  size_t start = 0;
  while (start < ref.size()) {
    size_t slash = ref.find('/', start);
    if (slash == std::string_view::npos) slash = ref.size();
    if (ref[start] == '.') return "no part of the ref may start with '.'";
    if (ref.substr(start, slash - start).ends_with(".lock"))
      return "no part of the ref may end with \".lock\"";
    start = slash + 1;
  }
  return std::nullopt;
}

bool is_commit_id(std::string_view text) {
  return (text.size() == 40 || text.size() == 64) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace bluegreen::engine
