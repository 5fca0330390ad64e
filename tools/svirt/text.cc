// SPDX-License-Identifier: LGPL-2.1-or-later
#include "text.h"

#include <cstdio>

namespace svirt::cli {
namespace {

void append_hex(std::string& out, unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

bool continuation(unsigned char c) { return (c & 0xc0) == 0x80; }

}  // namespace

size_t utf8_char_length(std::string_view s, size_t pos) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  unsigned char c = at(0);
  if (c < 0x80) return 1;
  size_t len;
  unsigned char min2 = 0x80, max2 = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) min2 = 0xa0;  // overlong
    if (c == 0xed) max2 = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) min2 = 0x90;  // overlong
    if (c == 0xf4) max2 = 0x8f;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  if (at(1) < min2 || at(1) > max2) return 0;
  for (size_t i = 2; i < len; ++i)
    if (!continuation(at(i))) return 0;
  return len;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = utf8_char_length(s, i);
    if (len > 1) {
      bool c1 = c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0;  // U+0080..U+009F
      if (c1) {
        append_hex(out, c);
        append_hex(out, static_cast<unsigned char>(s[i + 1]));
      } else {
        out.append(s, i, len);
      }
      i += len;
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (len == 1 && c >= 0x20 && c != 0x7f)
          out += static_cast<char>(c);
        else
          append_hex(out, c);
    }
    ++i;
  }
  return out;
}

}  // namespace svirt::cli
