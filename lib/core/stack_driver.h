// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <vector>

#include "svirt/driver.h"

namespace svirt::internal {

// Several drivers as one (e.g. SELinux plus a DAC driver). Set verbs run
// forward; when one fails, the partners of those that succeeded run in
// reverse. Restore verbs run in reverse order and collect every error. The
// first driver is the primary: its model and mode are the stack's.
std::unique_ptr<SecurityDriver> make_stack_driver(
    std::vector<std::unique_ptr<SecurityDriver>> drivers);

}  // namespace svirt::internal
