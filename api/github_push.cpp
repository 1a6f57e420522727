#include "api/github_push.hpp"

#include <cctype>

#include "api/target.hpp"
#include "daemon/ascii_case.hpp"
#include "daemon/engine/refs.hpp"

namespace bluegreen::api {

using nlohmann::json;

namespace {

daemon::failure invalid(std::string message) {
  return daemon::failure{daemon::failure::kind::invalid, "invalid_payload", std::move(message)};
}

// "application/json; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type) {
  auto end = content_type.find(';');
  std::string_view type = content_type.substr(0, end);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return daemon::ascii_lower(type);
}

// The string at `key` of `object`; a failure when it is absent (and
// required) or not a string.
daemon::result<std::string> string_field(const json& object, const char* key, std::string path,
                                         bool required) {
  auto it = object.find(key);
  if (it == object.end() || (!required && it->is_null())) {
    if (required) return invalid("the push has no \"" + path + "\"");
    return std::string();
  }
  if (!it->is_string()) return invalid("\"" + path + "\" must be a string");
  return it->get<std::string>();
}

// The object at `key`; nullptr when it is absent or null (and optional).
daemon::result<const json*> object_field(const json& object, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end() || (!required && it->is_null())) {
    if (required) return invalid(std::string("the push has no \"") + key + "\"");
    return static_cast<const json*>(nullptr);
  }
  if (!it->is_object()) return invalid(std::string("\"") + key + "\" must be an object");
  return &*it;
}

// True when the brackets of `text` (outside its strings) nest deeper than
// `limit`. Checked before parsing: parsing millions of nested brackets,
// however well signed, would keep the io thread busy for seconds.
bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

daemon::result<json> github_payload(std::string_view content_type, std::string_view body) {
  std::string type = media_type(content_type);
  std::string text;
  if (type == "application/json") {
    text = body;
  } else if (type == "application/x-www-form-urlencoded") {
    auto fields = parse_form(body, "the form body");
    if (!fields) return invalid(fields.error().message);
    auto payload = fields->find("payload");
    if (payload == fields->end())
      return invalid("the form body has no \"payload\" field, where GitHub puts the JSON");
    text = std::move(payload->second);
  } else {
    return daemon::failure{
        daemon::failure::kind::unsupported, "unsupported_content_type",
        "the content type must be application/json or application/x-www-form-urlencoded, not \"" +
            std::string(type) + "\": set the webhook's content type to application/json"};
  }
  if (nests_deeper_than(text, kMaxPayloadDepth))
    return invalid("the payload nests JSON deeper than " + std::to_string(kMaxPayloadDepth) +
                   " levels; a GitHub push nests a few levels, so this is not one");
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return invalid("the payload is not valid JSON");
  if (!parsed.is_object()) return invalid("the payload must be a JSON object");
  return parsed;
}

daemon::result<github::push> parse_github_push(const json& payload) {
  if (!payload.is_object()) return invalid("the payload must be a JSON object");
  github::push out;
  auto ref = string_field(payload, "ref", "ref", true);
  if (!ref) return ref.error();
  out.ref = std::move(*ref);
  auto after = string_field(payload, "after", "after", true);
  if (!after) return after.error();
  out.after = daemon::ascii_lower(*after);
  if (!engine::is_commit_id(out.after))
    return invalid("\"after\" must be a commit id of 40 (SHA-1) or 64 (SHA-256) hex digits");
  out.deleted = out.after.find_first_not_of('0') == std::string::npos;
  if (auto deleted = payload.find("deleted"); deleted != payload.end() && !deleted->is_null()) {
    if (!deleted->is_boolean()) return invalid("\"deleted\" must be true or false");
    out.deleted = out.deleted || deleted->get<bool>();
  }
  auto repository = object_field(payload, "repository", true);
  if (!repository) return repository.error();
  auto full_name = string_field(**repository, "full_name", "repository.full_name", true);
  if (!full_name) return full_name.error();
  out.repository = std::move(*full_name);
  auto pusher = object_field(payload, "pusher", false);
  if (!pusher) return pusher.error();
  if (*pusher) {
    auto name = string_field(**pusher, "name", "pusher.name", false);
    if (!name) return name.error();
    out.pusher = std::move(*name);
  }
  auto sender = object_field(payload, "sender", false);
  if (!sender) return sender.error();
  if (out.pusher.empty() && *sender) {
    auto login = string_field(**sender, "login", "sender.login", false);
    if (!login) return login.error();
    out.pusher = std::move(*login);
  }
  return out;
}

}  // namespace bluegreen::api
