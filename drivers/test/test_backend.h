// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The test backend: the SELinux driver's decisions on a fake host.
//
// It reports model "selinux" and an enforcing host, takes its defaults from
// the config alone, keeps labels in the "user.svirt.label" xattr of regular
// files and directories and in `<state_dir>/test-labels` for every other kind
// of file, and enters a process label by handing the exec'd program
// SVIRT_LABEL in its environment, which process_label() reads back from
// /proc/PID/environ. Each call is recorded
// (see include/svirt/test_backend.h).
//
// Thread-safety: as LabelBackend requires; the record has its own mutex.
#pragma once

#include <memory>
#include <string>

#include "svirt/backend.h"

namespace svirt::internal {

// Name of the xattr carrying a label, and of the store for other files.
inline constexpr const char* kTestLabelXattr = "user.svirt.label";
inline constexpr const char* kTestLabelStoreFile = "test-labels";

std::unique_ptr<LabelBackend> make_test_backend(const std::string& state_dir);

}  // namespace svirt::internal
