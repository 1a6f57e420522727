// form_body decodes an application/x-www-form-urlencoded body (what Slack
// and Mattermost send with a slash command): "name=value" pairs joined by
// '&', '+' for a space, %XX for any byte. A body that breaks the form (a
// '%' not followed by two hex digits) is refused as a whole, so a command
// is never run from half of what was sent. A name given twice keeps its
// first value. Decoded values are bytes as sent: not necessarily UTF-8.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::api {

using form_fields = std::map<std::string, std::string, std::less<>>;

// The fields of `body`, or nothing when it is not a well-formed form.
std::optional<form_fields> parse_form(std::string_view body);

// The value of `name`, or "" when absent.
std::string form_value(const form_fields& fields, std::string_view name);

}  // namespace bluegreen::api
