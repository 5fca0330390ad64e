// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt never prints: libxml2's own error output must never be reached from
// a library call. The harnesses install a generic error handler that aborts
// with the message, so a path that lets libxml2 report on its own (encoding
// errors, I/O errors, anything raised without a parser context) is a crash
// with a stack trace instead of a line on someone's terminal.
#pragma once

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace svirt::fuzz {

__attribute__((format(printf, 2, 3))) inline void abort_on_libxml2_output(void*, const char* format,
                                                                          ...) {
  std::fputs("PROPERTY BROKEN: libxml2 wrote an error message of its own:\n", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::abort();
}

inline void forbid_libxml2_output() {
  xmlInitParser();
  xmlSetGenericErrorFunc(nullptr, abort_on_libxml2_output);
}

}  // namespace svirt::fuzz
