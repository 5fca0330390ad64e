// SPDX-License-Identifier: LGPL-2.1-or-later
// Building small directory trees with test-backend labels for the tree tests.
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "../common/xattr_dir.h"

namespace tree_test {

using svirt::testing::kSkip;
using svirt::testing::real;
using svirt::testing::remove_tree;
using svirt::testing::supports_user_xattr;
constexpr const char* kXattr = "user.svirt.label";

inline std::string make_xattr_dir() { return svirt::testing::make_xattr_dir("tree"); }

inline bool make_file(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = write(fd, "x", 1) == 1;
  return close(fd) == 0 && ok;
}

// The test label of a regular file or directory, read without following a
// final symlink; nullopt when it has none.
inline std::optional<std::string> xlabel(const std::string& path) {
  char buf[4096];
  ssize_t n = lgetxattr(path.c_str(), kXattr, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

inline bool set_xlabel(const std::string& path, const std::string& label) {
  return lsetxattr(path.c_str(), kXattr, label.data(), label.size(), 0) == 0;
}

inline std::optional<std::string> read_text(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  return text;
}

// "DEV:INO" of `path` (not following a final symlink), as a tree record
// writes it; "" when it does not exist.
inline std::string identity(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {};
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

inline bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace tree_test
