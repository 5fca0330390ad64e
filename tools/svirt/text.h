// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Strings that come from files (labels, paths, messages quoting them) may
// hold any byte. What the command prints must not let them break its
// output: text stays one line per item, JSON stays valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace svirt::cli {

// Length of the UTF-8 character starting at s[pos], 0 when the bytes there
// are not one (a stray, overlong or truncated sequence, a surrogate).
size_t utf8_char_length(std::string_view s, size_t pos);

// `s` for a line of text output: a backslash as "\\", tab, newline and
// carriage return as "\t", "\n", "\r", every other control character (C0,
// DEL, C1) and every byte that is not UTF-8 as "\xNN". Other UTF-8 text is
// left as it is.
std::string printable(std::string_view s);

}  // namespace svirt::cli
