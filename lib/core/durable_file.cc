// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/unique_fd.h"

namespace svirt::internal {

void sync_parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == 0 ? "/" : slash == std::string::npos ? "." : path.substr(0, slash);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) ::fsync(dfd.get());
}

namespace {

Result<void> replace_file(const std::string& path, const std::string& content, bool durable) {
  std::string tmp = path + ".tmp";
  auto fail = [&](const char* step, int err) {
    ::unlink(tmp.c_str());
    return Error{ErrorCode::kOperationFailed, step, err};
  };
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return fail("cannot create", errno);
    const char* p = content.data();
    size_t left = content.size();
    while (left > 0) {
      ssize_t n = ::write(fd.get(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail("cannot write", errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    if (durable && ::fsync(fd.get()) != 0) return fail("cannot sync", errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot replace", errno);
  if (durable) sync_parent_dir(path);
  return ok();
}

}  // namespace

Result<void> write_file_durably(const std::string& path, const std::string& content) {
  return replace_file(path, content, /*durable=*/true);
}

Result<void> write_file_atomically(const std::string& path, const std::string& content) {
  return replace_file(path, content, /*durable=*/false);
}

}  // namespace svirt::internal
