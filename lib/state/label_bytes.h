// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A file's label is the value of an extended attribute: bytes, not text.
// chcon, setfattr and the kernel itself store it with a trailing NUL, and
// nothing stops a label from holding another NUL, a newline or bytes that
// are not UTF-8. svirt keeps an original label as the exact bytes it read,
// so that restoring a file puts back what was there, and reads the context
// those bytes spell the way libselinux does.
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>

#include "svirt/result.h"

namespace svirt::internal {

// The context `bytes` spell. libselinux hands a label out as a C string, so
// a single trailing NUL ends it and is not part of the context; any other
// byte, NUL or not, is.
std::string_view label_text(std::string_view bytes);
std::optional<std::string> label_text(const std::optional<std::string>& bytes);
inline std::string_view label_text(const std::string& bytes) {
  return label_text(std::string_view(bytes));
}

// GLib key files hold UTF-8 text without NUL, so `key` cannot carry every
// label. These store `bytes` so that every one comes back:
//   key=TEXT         the bytes themselves, when a key file can hold them
//                    (the only form records written before had)
//   key_bytes=ESC    otherwise: printable ASCII as is, "\\" for a backslash,
//                    "\xNN" for every other byte. `key` then still carries
//                    the context the bytes spell, when it can, for a reader
//                    that knows only `key`.
void set_key_bytes(GKeyFile* kf, const char* group, const std::string& key, std::string_view bytes);
// The bytes set_key_bytes stored, nullopt when the group has neither key.
// A plain `key` that is not UTF-8 (written by a version that stored the
// bytes raw) comes back as those bytes. kInvalidInput: `key_bytes` is not
// in the form above.
Result<std::optional<std::string>> get_key_bytes(GKeyFile* kf, const char* group,
                                                 const std::string& key);

}  // namespace svirt::internal
