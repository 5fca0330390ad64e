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

#include "../common/xattr_dir.h"
#include "core/safe_path.h"

namespace backend_test {

using svirt::testing::kSkip;
using svirt::testing::real;
using svirt::testing::remove_tree;
using svirt::testing::supports_user_xattr;

// A fresh canonical directory under `parent`; empty on failure.
inline std::string make_temp_dir(const std::string& parent) {
  std::string tmpl = parent + "/svirt-backend-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  return real(tmpl);
}

inline std::string make_xattr_dir(std::string* why) {
  return svirt::testing::make_xattr_dir("backend", why);
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

// The resolved, vetted descriptor of `path`; a test that cannot even open its
// own file stops here (abort fails it whatever the framework).
inline svirt::internal::OpenedPath open_ok(const std::string& path) {
  svirt::Result<svirt::internal::OpenedPath> r = svirt::internal::open_resource(path, {});
  if (!r.ok()) {
    fprintf(stderr, "open_resource(%s): %s\n", path.c_str(), r.error().message.c_str());
    abort();
  }
  return std::move(r).value();
}

}  // namespace backend_test
