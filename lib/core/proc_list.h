// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The processes of the host, as /proc lists them: the backends read each
// one's label to find the categories VMs svirt did not start are holding.
//
// Thread-safety: free function without shared state.
#pragma once

#include <sys/types.h>

#include <vector>

#include "svirt/result.h"

namespace svirt::internal {

// The pids /proc lists at the moment it is read; processes that start later
// are not in it, ones that exit may still be.
Result<std::vector<pid_t>> proc_pids();

}  // namespace svirt::internal
