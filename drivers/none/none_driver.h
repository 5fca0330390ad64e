// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>

#include "svirt/driver.h"

namespace svirt::internal {

// Model "none": no labels, nothing relabelled. What `auto` picks on a host
// without SELinux, so a stack runs unchanged (and unconfined) there.
std::unique_ptr<SecurityDriver> make_none_driver();

}  // namespace svirt::internal
