// SPDX-License-Identifier: LGPL-2.1-or-later
// Temporary directories for the backend tests.
#pragma once

#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

namespace backend_test {

// Meson counts this exit status as a skipped test.
constexpr int kSkip = 77;

inline std::string real(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> r(realpath(path.c_str(), nullptr), &free);
  return r ? std::string(r.get()) : path;
}

// A fresh directory under `parent`, canonical (the tests compare resolved
// paths with it); empty on failure.
inline std::string make_temp_dir(const std::string& parent) {
  std::string tmpl = parent + "/svirt-backend-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  return real(tmpl);
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

// A temporary directory on a filesystem that stores user xattrs: the usual
// temporary directory, else /var/tmp (tmpfs often lacks user_xattr). Empty
// when neither does; `why` then says so.
inline std::string make_xattr_dir(std::string* why) {
  for (std::string parent : {std::string(g_get_tmp_dir()), std::string("/var/tmp")}) {
    std::string dir = make_temp_dir(parent);
    if (dir.empty()) continue;
    if (supports_user_xattr(dir)) return dir;
    remove_tree(dir);
  }
  *why = std::string("no user extended attributes in ") + g_get_tmp_dir() + " or /var/tmp";
  return {};
}

inline bool write_file(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  return fclose(f) == 0 && ok;
}

// Value of an xattr of `path`, trailing NULs dropped; nullopt (errno set)
// when it has none.
inline std::optional<std::string> read_xattr(const std::string& path, const char* name) {
  char buf[4096];
  ssize_t n = getxattr(path.c_str(), name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  std::string v(buf, n);
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v;
}

}  // namespace backend_test
