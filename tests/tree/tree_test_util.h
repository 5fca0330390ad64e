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

namespace tree_test {

// Meson counts this exit status as a skipped test.
constexpr int kSkip = 77;
constexpr const char* kXattr = "user.svirt.label";

inline std::string real(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> r(realpath(path.c_str(), nullptr), &free);
  return r ? std::string(r.get()) : path;
}

inline void remove_tree(const std::string& dir) {
  if (dir.empty()) return;
  nftw(
      dir.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); },
      16, FTW_DEPTH | FTW_PHYS);
}

inline bool supports_user_xattr(const std::string& dir) {
  std::string probe = dir + "/xattr-probe";
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  close(fd);
  bool ok = setxattr(probe.c_str(), "user.svirt.probe", "1", 1, 0) == 0;
  unlink(probe.c_str());
  return ok;
}

// A fresh canonical directory on a filesystem with user xattrs (the test
// backend keeps labels there), or "" when none of the candidates has them.
inline std::string make_xattr_dir() {
  const char* tmp = getenv("TMPDIR");
  const char* build = getenv("SVIRT_BUILD_ROOT");
  for (const char* parent : {tmp, "/var/tmp", build}) {
    if (parent == nullptr) continue;
    std::string tmpl = std::string(parent) + "/svirt-tree-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) continue;
    if (supports_user_xattr(tmpl)) return real(tmpl);
    remove_tree(tmpl);
  }
  return {};
}

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

inline bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace tree_test
