// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/proc_list.h"

#include <dirent.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

namespace svirt::internal {

namespace {

// Depth-first through `dir`, collecting each cgroup.procs; bounded so that a
// deep hierarchy cannot run away.
void collect_cgroup(const std::string& dir, int depth, std::vector<pid_t>& out) {
  if (depth > 16) return;
  std::ifstream procs(dir + "/cgroup.procs");
  long pid = 0;
  while (procs >> pid)
    if (pid > 0) out.push_back(static_cast<pid_t>(pid));
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> children;
  while (const dirent* e = readdir(d))
    if (e->d_type == DT_DIR && e->d_name[0] != '.') children.emplace_back(e->d_name);
  closedir(d);
  for (const std::string& c : children) collect_cgroup(dir + "/" + c, depth + 1, out);
}

}  // namespace

std::vector<pid_t> vm_cgroup_pids(const std::vector<std::string>& cgroups,
                                  const std::string& cgroup_root) {
  std::vector<pid_t> out;
  for (const std::string& cg : cgroups) {
    size_t before = out.size();
    collect_cgroup(cgroup_root + cg, 0, out);
    if (out.size() == before) collect_cgroup(cgroup_root + "/systemd" + cg, 0, out);
  }
  return out;
}

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
