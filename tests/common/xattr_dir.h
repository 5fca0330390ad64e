// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Scratch directories for tests that keep labels in extended attributes (the
// test backend's "user.svirt.label", or security.selinux as root). Shared by
// every test suite so that where they look, and why they skip, is decided once.
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace svirt::testing {

// Meson counts this exit status as a skipped test.
inline constexpr int kSkip = 77;

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
  FILE* f = fopen(probe.c_str(), "w");
  if (f == nullptr) return false;
  fclose(f);
  bool ok = setxattr(probe.c_str(), "user.svirt.probe", "1", 1, 0) == 0;
  unlink(probe.c_str());
  return ok;
}

// A fresh, canonical directory on a filesystem that stores user xattrs:
// under $TMPDIR, /var/tmp (tmpfs often lacks user_xattr) or the build
// directory, in that order. "" when none does; `why` then says so.
inline std::string make_xattr_dir(const char* tag = "test", std::string* why = nullptr) {
  const char* parents[] = {getenv("TMPDIR"), "/var/tmp", getenv("SVIRT_BUILD_ROOT"), "/tmp"};
  for (const char* parent : parents) {
    if (parent == nullptr) continue;
    std::string tmpl = std::string(parent) + "/svirt-" + tag + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) continue;
    if (supports_user_xattr(tmpl)) return real(tmpl);
    remove_tree(tmpl);
  }
  if (why != nullptr)
    *why = "no filesystem with user extended attributes in $TMPDIR, /var/tmp or the build directory";
  return {};
}

}  // namespace svirt::testing
