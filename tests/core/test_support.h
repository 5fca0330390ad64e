// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared helpers for core tests: temp dirs on a filesystem with user xattrs,
// and reading/writing test-driver labels.
#pragma once

#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "../common/xattr_dir.h"

namespace svirt::testing {

// A temp dir where user xattrs work, or "" (callers then skip with 77).
inline std::string make_xattr_tmpdir() { return make_xattr_dir("core"); }

inline std::optional<std::string> label_of(const std::string& path) {
  char buf[512];
  ssize_t n = getxattr(path.c_str(), "user.svirt.label", buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

inline void set_label(const std::string& path, const std::string& label) {
  setxattr(path.c_str(), "user.svirt.label", label.data(), label.size(), 0);
}

inline void write_file(const std::string& path, const std::string& content = "data") {
  std::ofstream(path) << content;
}


}  // namespace svirt::testing
