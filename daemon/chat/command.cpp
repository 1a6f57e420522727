#include "daemon/chat/command.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "daemon/ascii_case.hpp"
#include "daemon/utf8.hpp"

namespace bluegreen::chat {

namespace {

using daemon::failure;

failure malformed(std::string message) {
  return failure{failure::kind::invalid, "invalid_command", std::move(message)};
}

// The length of the white space at the start of `text`: ASCII space,
// tab, line breaks, and U+00A0 (no-break space) in UTF-8.
std::size_t space_at(std::string_view text) {
  if (text.empty()) return 0;
  char c = text[0];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
  if (text.starts_with("\xC2\xA0")) return 2;
  return 0;
}

std::string_view trim_start(std::string_view text) {
  while (std::size_t n = space_at(text)) text.remove_prefix(n);
  return text;
}

std::string_view trim(std::string_view text) {
  text = trim_start(text);
  while (!text.empty()) {
    if (text.ends_with("\xC2\xA0")) {
      text.remove_suffix(2);
    } else if (space_at(text.substr(text.size() - 1)) == 1) {
      text.remove_suffix(1);
    } else {
      break;
    }
  }
  return text;
}

// The first word of `text` and what follows it (not trimmed).
std::pair<std::string_view, std::string_view> next_word(std::string_view text) {
  text = trim_start(text);
  std::size_t i = 0;
  while (i < text.size() && space_at(text.substr(i)) == 0) ++i;
  return {text.substr(0, i), text.substr(i)};
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (;;) {
    auto [word, rest] = next_word(text);
    if (word.empty()) return out;
    out.push_back(word);
    text = rest;
  }
}

// What a word was, quoted for a message: cut short, as typed.
std::string quoted(std::string_view word) {
  constexpr std::size_t kMax = 40;
  if (word.size() <= kMax) return "\"" + std::string(word) + "\"";
  std::size_t cut = daemon::utf8::boundary_at_or_before(word, kMax);
  return "\"" + std::string(word.substr(0, cut)) + "…\"";
}

constexpr std::array<std::pair<std::string_view, action>, 8> kKeywords = {{
    {"status", action::status},
    {"switch", action::switch_traffic},
    {"rollback", action::rollback},
    {"lock", action::lock},
    {"unlock", action::unlock},
    {"cancel", action::cancel},
    {"help", action::help},
    {"deploy", action::deploy},
}};

std::optional<action> keyword(std::string_view word) {
  std::string w = daemon::ascii_lower(word);
  for (const auto& [name, a] : kKeywords)
    if (w == name) return a;
  return std::nullopt;
}

// "green=10": 10% to green, the rest to the other colour.
daemon::result<command> switch_target(command c, std::string_view word) {
  auto eq = word.find('=');
  auto colour = daemon::parse_colour(daemon::ascii_lower(word.substr(0, eq)));
  if (!colour)
    return malformed(quoted(word.substr(0, eq)) +
                     " is not a colour: switch to blue or green, or send a share such as "
                     "green=10");
  if (eq == std::string_view::npos) {
    c.to = colour;
    return c;
  }
  std::string_view digits = word.substr(eq + 1);
  if (digits.ends_with('%')) digits.remove_suffix(1);
  // At most three digits, so the value cannot overflow.
  bool numeric = !digits.empty() && digits.size() <= 3;
  int percent = 0;
  for (char d : numeric ? digits : std::string_view()) {
    numeric = numeric && d >= '0' && d <= '9';
    percent = percent * 10 + (d - '0');
  }
  if (!numeric || percent > 100)
    return malformed(quoted(word) +
                     ": a share is a whole percent from 0 to 100, e.g. green=10 for 10% to green");
  traffic::routing r;
  if (percent > 0) r.weights[*colour] = percent;
  if (percent < 100) r.weights[daemon::other(*colour)] = 100 - percent;
  c.weights = r;
  return c;
}

}  // namespace

std::string_view action_name(action a) {
  switch (a) {
    case action::deploy:
      return "deploy";
    case action::status:
      return "status";
    case action::switch_traffic:
      return "switch";
    case action::rollback:
      return "rollback";
    case action::lock:
      return "lock";
    case action::unlock:
      return "unlock";
    case action::cancel:
      return "cancel";
    case action::help:
      return "help";
  }
  return "help";
}

daemon::result<command> parse_command(std::string_view text) {
  auto words = words_of(text);
  command c;
  if (words.empty()) return c;  // help
  auto kw = keyword(words[0]);
  if (!kw) {
    // "<app> [ref]"
    if (words.size() > 2)
      return malformed("too many words: deploy takes an app and at most one ref, e.g. " +
                       std::string(words[0]) + " main");
    c.action = action::deploy;
    c.app = std::string(words[0]);
    if (words.size() == 2) c.ref = std::string(words[1]);
    return c;
  }
  c.action = *kw;
  std::string name(action_name(*kw));
  switch (*kw) {
    case action::help:
      if (words.size() > 1) return malformed("help takes nothing after it");
      return c;
    case action::status:
      if (words.size() > 2) return malformed("status takes at most one app");
      if (words.size() == 2) c.app = std::string(words[1]);
      return c;
    case action::deploy:
      // "deploy <app> [ref]", for those who type the action.
      if (words.size() < 2) return malformed("deploy needs an app");
      if (words.size() > 3)
        return malformed("too many words: deploy takes an app and at most one ref");
      c.app = std::string(words[1]);
      if (words.size() == 3) c.ref = std::string(words[2]);
      return c;
    case action::switch_traffic:
      if (words.size() < 2) return malformed("switch needs an app");
      if (words.size() > 3)
        return malformed(
            "too many words: switch takes an app and at most one colour or share (green=10)");
      c.app = std::string(words[1]);
      if (words.size() == 3) return switch_target(std::move(c), words[2]);
      return c;
    case action::lock: {
      if (words.size() < 3) return malformed("lock needs an app and a reason");
      auto [verb, after_verb] = next_word(text);
      auto [app, reason] = next_word(after_verb);
      c.app = std::string(app);
      c.reason = std::string(trim(reason));
      return c;
    }
    case action::rollback:
    case action::unlock:
    case action::cancel:
      if (words.size() != 2) return malformed(name + " takes exactly one app");
      c.app = std::string(words[1]);
      return c;
  }
  return c;
}

std::string usage(std::string_view slash) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kLines = {{
      {"<app> [ref]",
       "deploy a branch, tag or commit (default: the app's default_ref) to the idle colour"},
      {"status [app]", "the live colour and what each colour runs"},
      {"switch <app> [colour | colour=percent]",
       "send the traffic to the idle colour (or the one named), or a share of it (green=10)"},
      {"rollback <app>", "back to the colour that was live before the last switch"},
      {"lock <app> <reason>", "stop deploys and switches of the app until unlocked"},
      {"unlock <app>", "lift the lock"},
      {"cancel <app>", "cancel the app's running deploy or task"},
      {"help", "this text"},
  }};
  std::string s(slash.empty() ? "/deploy" : slash);
  std::string out = "Usage:";
  for (const auto& [syntax, what] : kLines)
    out += "\n`" + s + " " + std::string(syntax) + "` " + std::string(what);
  return out;
}

std::string unescape_slack(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view rest = text.substr(i);
    if (rest.starts_with("&amp;")) {
      out += '&';
      i += 4;
    } else if (rest.starts_with("&lt;")) {
      out += '<';
      i += 3;
    } else if (rest.starts_with("&gt;")) {
      out += '>';
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace bluegreen::chat
