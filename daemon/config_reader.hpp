// The configuration loader's TOML reading: errors collected per file with
// their position and key path, and a reader for one table that checks types,
// ranges and durations and reports every key it was not asked for. Private to
// the loader's files (daemon/config*.cpp).
//
// Thread-safety: one loader at a time per error_sink.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/duration.hpp"

namespace bluegreen::daemon {

// "a string", "an integer", ... for messages.
std::string_view type_name(toml::node_type type);

// 1 to max_len of a-z, 0-9, '-' and '_', starting with a letter or digit
// (app and task names).
bool is_name(std::string_view s, size_t max_len);
// A-Z, 0-9 and '_', not starting with a digit.
bool is_env_name(std::string_view s);

// Collects errors for one file.
class error_sink {
 public:
  explicit error_sink(std::string file) : file_(std::move(file)) {}

  void add(const toml::source_region& where, std::string key, std::string message) {
    errors_.push_back(config_error{file_, where.begin.line, where.begin.column, std::move(key),
                                   std::move(message)});
  }
  std::vector<config_error>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<config_error> errors_;
};

// Reads the keys of one TOML table, remembering which keys were asked for so
// that the rest can be reported as unknown.
class table_reader {
 public:
  table_reader(error_sink& sink, const toml::table& table, std::string path)
      : sink_(sink), table_(table), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }

  void error_at(std::string_view key, std::string message) {
    const toml::node* node = table_.get(key);
    sink_.add(node ? node->source() : table_.source(), key_path(key), std::move(message));
  }
  void error_here(std::string message) { sink_.add(table_.source(), path_, std::move(message)); }

  // The node for `key`, or null (reporting it when required).
  const toml::node* node(std::string_view key, bool required, std::string_view expected) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n && required) {
      sink_.add(table_.source(), key_path(key),
                "required key is missing: expected " + std::string(expected));
    }
    return n;
  }

  std::optional<std::string> string(std::string_view key, bool required,
                                    std::string_view expected = "a string") {
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    if (!n->is_string()) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    return n->as_string()->get();
  }

  // A string that must not be empty.
  std::optional<std::string> text(std::string_view key, bool required, std::string_view expected) {
    auto value = string(key, required, expected);
    if (value && value->empty()) {
      error_at(key, "must not be empty: expected " + std::string(expected));
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key, false, "true or false");
    if (!n) return std::nullopt;
    if (!n->is_boolean()) {
      wrong_type(key, *n, "true or false");
      return std::nullopt;
    }
    return n->as_boolean()->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min,
                                      std::int64_t max) {
    std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    if (!n->is_integer()) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      error_at(key, "out of range (" + std::to_string(v) + "): expected " + expected);
      return std::nullopt;
    }
    return v;
  }

  // Every duration has a ceiling, so that adding it to a clock can never
  // overflow and a typo such as "107000d" is caught here.
  void duration(std::string_view key, milliseconds& out, bool allow_zero, milliseconds max) {
    constexpr std::string_view kExpected =
        "a duration with units, such as \"500ms\", \"90s\", \"10m\" or \"1h30m\"";
    auto value = string(key, false, kExpected);
    if (!value) return;
    auto parsed = parse_duration(*value);
    if (!parsed) {
      error_at(key, "\"" + *value + "\" is not a duration: expected " + std::string(kExpected));
      return;
    }
    if (!allow_zero && parsed->count() == 0) {
      error_at(key, "must be longer than zero");
      return;
    }
    if (*parsed > max) {
      error_at(key, "\"" + *value + "\" is too long: at most \"" + format_duration(max) + "\"");
      return;
    }
    out = *parsed;
  }

  std::optional<std::vector<std::string>> strings(std::string_view key, bool required,
                                                  std::string_view expected) {
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    const toml::array* arr = n->as_array();
    if (!arr) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      std::string el_key = key_path(key) + "[" + std::to_string(i) + "]";
      if (!el.is_string()) {
        sink_.add(el.source(), el_key,
                  "expected a string, got " + std::string(type_name(el.type())));
        ok = false;
      } else if (el.as_string()->get().empty()) {
        sink_.add(el.source(), el_key, "must not be empty");
        ok = false;
      } else {
        out.push_back(el.as_string()->get());
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  const toml::table* subtable(std::string_view key, bool required, std::string_view expected) {
    const toml::node* n = node(key, required, expected);
    if (!n) return nullptr;
    if (!n->is_table()) {
      wrong_type(key, *n, expected);
      return nullptr;
    }
    return n->as_table();
  }

  // A reference to a secret: { file = "/path" } or { credential = "name" }.
  std::optional<secret_ref> secret(std::string_view key, bool required) {
    constexpr std::string_view kExpected =
        "a reference to a secret: { file = \"/etc/bluegreen/NAME\" } or "
        "{ credential = \"NAME\" } (a systemd credential)";
    const toml::node* n = node(key, required, kExpected);
    if (!n) return std::nullopt;
    if (n->is_string()) {
      error_at(key, "secrets are never written inline in the config: expected " +
                        std::string(kExpected));
      return std::nullopt;
    }
    if (!n->is_table()) {
      wrong_type(key, *n, kExpected);
      return std::nullopt;
    }
    table_reader ref(sink_, *n->as_table(), key_path(key));
    auto file = ref.text("file", false, "an absolute path");
    auto credential = ref.text("credential", false, "a credential name");
    ref.finish();
    if (file.has_value() == credential.has_value()) {
      error_at(key, "expected exactly one of `file` or `credential`: " + std::string(kExpected));
      return std::nullopt;
    }
    if (file) {
      if (!file->starts_with('/')) {
        ref.error_at("file", "\"" + *file + "\" is not an absolute path");
        return std::nullopt;
      }
      return secret_ref{secret_ref::source::file, *file};
    }
    if (credential->find('/') != std::string::npos) {
      ref.error_at("credential", "a credential name cannot contain '/'");
      return std::nullopt;
    }
    return secret_ref{secret_ref::source::credential, *credential};
  }

  void mark_known(std::string_view key) { known_.insert(std::string(key)); }

  // Reports every key that was not read.
  void finish() {
    for (const auto& [k, v] : table_) {
      if (known_.count(std::string(k.str()))) continue;
      std::string allowed;
      for (const auto& name : known_) allowed += (allowed.empty() ? "" : ", ") + name;
      sink_.add(k.source().begin.line ? k.source() : v.source(), key_path(k.str()),
                "unknown key" + (allowed.empty() ? std::string(" (this table takes no keys)")
                                                 : "; expected one of: " + allowed));
    }
  }

 private:
  void wrong_type(std::string_view key, const toml::node& n, std::string_view expected) {
    sink_.add(n.source(), key_path(key),
              "expected " + std::string(expected) + ", got " + std::string(type_name(n.type())));
  }

  error_sink& sink_;
  const toml::table& table_;
  std::string path_;
  std::set<std::string> known_;
};

}  // namespace bluegreen::daemon
