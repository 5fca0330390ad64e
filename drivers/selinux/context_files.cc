// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading the policy's virtual_domain_context / virtual_image_context files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.h"
#include "selinux/selinux_backend.h"

namespace svirt::internal {
namespace {

constexpr size_t kMaxContextFile = 1 << 20;

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<std::vector<std::string>> read_context_lines(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "cannot read '" + path + "'", err);
  }
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kOperationFailed, "cannot read '" + path + "'", errno);
    }
    if (n == 0) break;
    data.append(buf, n);
    if (data.size() > kMaxContextFile) {
      return make_error(ErrorCode::kInvalidInput, "'" + path + "' is too large for a context file");
    }
  }
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string line = trim(std::string_view(data).substr(pos, end - pos));
    if (!line.empty() && line[0] != '#') lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

}  // namespace svirt::internal
