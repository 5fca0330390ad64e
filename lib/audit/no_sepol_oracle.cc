// SPDX-License-Identifier: LGPL-2.1-or-later
//
// open_policy() for builds without libsepol: nothing can read a compiled policy.
#include "svirt/audit.h"

namespace svirt {

Result<std::unique_ptr<PolicyOracle>> open_policy(const std::string& policy_file) {
  return make_error(ErrorCode::kUnsupported,
                    "policy '" + policy_file + "': svirt was built without libsepol");
}

}  // namespace svirt
