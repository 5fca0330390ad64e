// SPDX-License-Identifier: LGPL-2.1-or-later
#include "json.h"

#include <cstdio>

#include "text.h"

namespace svirt::cli {

Json& Json::set(std::string key, Json value) {
  std::get<Object>(v_).emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  std::get<Array>(v_).push_back(std::move(value));
  return *this;
}

// JSON is UTF-8 text, and a label or a path need not be: a byte that is
// not part of a UTF-8 character is written as the four characters \xNN (a
// backslash, as in the text output), so the document stays valid and the
// byte stays visible. Control characters use JSON's own escapes.
static void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = utf8_char_length(s, i);
    if (len == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(s, i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void Json::write(std::string& out) const {
  switch (v_.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
    case 2: out += std::to_string(std::get<long long>(v_)); break;
    case 3: write_string(out, std::get<std::string>(v_)); break;
    case 4: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : std::get<Object>(v_)) {
        if (!first) out += ", ";
        first = false;
        write_string(out, k);
        out += ": ";
        v.write(out);
      }
      out += '}';
      break;
    }
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& v : std::get<Array>(v_)) {
        if (!first) out += ", ";
        first = false;
        v.write(out);
      }
      out += ']';
      break;
    }
  }
}

std::string Json::dump() const {
  std::string out;
  write(out);
  return out;
}

}  // namespace svirt::cli
