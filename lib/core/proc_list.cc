// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/proc_list.h"

#include <dirent.h>

#include <cerrno>
#include <cstdlib>

namespace svirt::internal {

Result<std::vector<pid_t>> proc_pids() {
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return make_error(ErrorCode::kOperationFailed, "cannot list /proc", errno);
  std::vector<pid_t> pids;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(dir);
  return pids;
}

}  // namespace svirt::internal
