// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/quote.h"

#include <cstdio>

namespace svirt::internal {

std::string quoted(std::string_view value) {
  // Long values (a 4 MiB label) would drown the message; the start names it.
  constexpr std::size_t kMaxShown = 128;
  bool cut = value.size() > kMaxShown;
  if (cut) value = value.substr(0, kMaxShown);
  std::string out = "'";
  for (char c : value) {
    // Keep error messages on one line whatever the input holds.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + (cut ? "...'" : "'");
}

}  // namespace svirt::internal
