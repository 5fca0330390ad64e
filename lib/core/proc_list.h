// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The processes of the host, as /proc and the cgroup tree list them: the
// backends read their labels to find the categories VMs svirt did not start
// are holding.
//
// Thread-safety: free function without shared state.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "svirt/result.h"

namespace svirt::internal {

// The pids /proc lists at the moment it is read; processes that start later
// are not in it, ones that exit may still be.
Result<std::vector<pid_t>> proc_pids();

// The pids of every cgroup at and below each of `cgroups` (paths below the
// root, "/machine.slice": where libvirt and systemd-machined run VMs), in the
// cgroup v2 tree mounted at `cgroup_root` or, where it is not there, in the
// v1 name=systemd hierarchy below it; cgroups that do not exist add nothing.
std::vector<pid_t> vm_cgroup_pids(const std::vector<std::string>& cgroups,
                                  const std::string& cgroup_root = "/sys/fs/cgroup");

}  // namespace svirt::internal
