// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <string>

#include "state/state_dir.h"
#include "svirt/backend.h"
#include "svirt/config.h"
#include "svirt/driver.h"

namespace svirt::internal {

struct DriverChoice {
  std::unique_ptr<SecurityDriver> driver;
  LabelBackend* backend = nullptr;  // owned by `driver`, null for none
  std::string note;                 // why "auto" chose what it chose
};

// "selinux", "test", "none" or "auto". `state` must outlive the driver.
Result<DriverChoice> make_driver(const std::string& name, const StateDir* state,
                                 const Config& config);

// SELinux is enabled on this host (cached).
bool selinux_enabled_on_host();

}  // namespace svirt::internal
