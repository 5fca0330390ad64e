// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state/label_bytes.h"

#include <cstdio>

namespace svirt::internal {
namespace {

// Whether g_key_file_set_string() writes `s` so that it reads back the
// same: UTF-8 without NUL. Of the other control characters only the ones
// it escapes (tab, newline, carriage return) are let through; it writes the
// rest raw, and a form feed at the start does not survive.
bool key_file_holds(std::string_view s) {
  if (!g_utf8_validate_len(s.data(), s.size(), nullptr)) return false;  // also refuses NUL
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
  }
  return true;
}

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c > 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

std::optional<std::string> unescape_bytes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      i += 1;
    } else if (i + 3 < s.size() && s[i + 1] == 'x' && g_ascii_xdigit_value(s[i + 2]) >= 0 &&
               g_ascii_xdigit_value(s[i + 3]) >= 0) {
      out += static_cast<char>(g_ascii_xdigit_value(s[i + 2]) * 16 + g_ascii_xdigit_value(s[i + 3]));
      i += 3;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// What g_key_file_get_string() does to a raw value, minus its UTF-8 check:
// versions before key_bytes wrote labels that are not UTF-8 this way, and
// the check would lose them.
std::string unescape_key_file_value(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 == raw.size()) {
      out += raw[i];
      continue;
    }
    switch (raw[++i]) {
      case 's':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      default:  // not written by g_key_file_set_string: kept as it is
        out += '\\';
        out += raw[i];
    }
  }
  return out;
}

std::optional<std::string> get_plain(GKeyFile* kf, const char* group, const char* key) {
  gchar* text = g_key_file_get_string(kf, group, key, nullptr);
  if (text != nullptr) {
    std::string s(text);
    g_free(text);
    return s;
  }
  gchar* raw = g_key_file_get_value(kf, group, key, nullptr);
  if (raw == nullptr) return std::nullopt;
  std::string s = unescape_key_file_value(raw);
  g_free(raw);
  return s;
}

}  // namespace

std::string_view label_text(std::string_view bytes) {
  if (!bytes.empty() && bytes.back() == '\0') bytes.remove_suffix(1);
  return bytes;
}

std::optional<std::string> label_text(const std::optional<std::string>& bytes) {
  if (!bytes) return std::nullopt;
  return std::string(label_text(std::string_view(*bytes)));
}

void set_key_bytes(GKeyFile* kf, const char* group, const std::string& key,
                   std::string_view bytes) {
  std::string exact(bytes);
  if (key_file_holds(exact)) {
    g_key_file_set_string(kf, group, key.c_str(), exact.c_str());
    return;
  }
  // Escaped to printable ASCII without spaces: safe to store unquoted.
  g_key_file_set_value(kf, group, (key + "_bytes").c_str(), escape_bytes(bytes).c_str());
  std::string text(label_text(bytes));
  if (key_file_holds(text)) g_key_file_set_string(kf, group, key.c_str(), text.c_str());
}

Result<std::optional<std::string>> get_key_bytes(GKeyFile* kf, const char* group,
                                                 const std::string& key) {
  std::string escaped_key = key + "_bytes";
  gchar* escaped = g_key_file_get_value(kf, group, escaped_key.c_str(), nullptr);
  if (escaped == nullptr) return get_plain(kf, group, key.c_str());
  std::optional<std::string> bytes = unescape_bytes(escaped);
  g_free(escaped);
  if (!bytes) {
    return make_error(ErrorCode::kInvalidInput, "group '" + std::string(group) +
                                                    "': " + escaped_key + " is not escaped bytes");
  }
  return std::optional<std::string>(std::move(*bytes));
}

}  // namespace svirt::internal
