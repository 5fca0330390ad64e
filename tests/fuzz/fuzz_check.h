// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Failure reporting for the fuzz harnesses: a broken property prints what was
// compared and aborts, which libFuzzer records as a crash with its input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace svirt::fuzz {

[[noreturn]] inline void fail(std::string_view property, std::string_view first = {},
                              std::string_view second = {}) {
  std::fprintf(stderr, "PROPERTY BROKEN: %.*s\n", static_cast<int>(property.size()),
               property.data());
  if (!first.empty()) {
    std::fprintf(stderr, "--- first ---\n%.*s\n", static_cast<int>(first.size()), first.data());
  }
  if (!second.empty()) {
    std::fprintf(stderr, "--- second ---\n%.*s\n", static_cast<int>(second.size()), second.data());
  }
  std::abort();
}

inline void check(bool ok, std::string_view property, std::string_view first = {},
                  std::string_view second = {}) {
  if (!ok) fail(property, first, second);
}

}  // namespace svirt::fuzz
