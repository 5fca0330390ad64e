// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The GLib key file plumbing every state file shares.
//
// Thread-safety: free functions and a value type without shared state.
#pragma once

#include <glib.h>

#include <string>

#include "svirt/result.h"

namespace svirt::internal {

// Owns one GKeyFile.
struct KeyFile {
  GKeyFile* kf = g_key_file_new();
  KeyFile() = default;
  KeyFile(const KeyFile&) = delete;
  KeyFile& operator=(const KeyFile&) = delete;
  ~KeyFile() { g_key_file_free(kf); }
};

// Loads `text` into `k`; an error names `origin` as corrupt.
Result<void> parse_keyfile(KeyFile& k, const std::string& text, const std::string& origin);
// The key file's text.
std::string keyfile_text(KeyFile& k);
// The string at group/key, "" when absent.
std::string get_string(GKeyFile* kf, const char* group, const char* key);
// Whether `path` was last written before this boot: a record in it that
// cannot be read was cut short by the crash that ended that boot.
bool written_before_boot(const std::string& path);

}  // namespace svirt::internal
