// SPDX-License-Identifier: LGPL-2.1-or-later
#include "svirt/backend.h"
#include "svirt/driver.h"

namespace svirt {

LabelBackend::~LabelBackend() = default;

Result<void> LabelBackend::remove_label(int /*fd*/, const std::string& path) {
  return make_error(ErrorCode::kUnsupported,
                    "'" + path + "': cannot remove a security label on this backend");
}

bool LabelBackend::same_label(const std::string& a, const std::string& b) const { return a == b; }

SecurityDriver::~SecurityDriver() = default;

}  // namespace svirt
