// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli.h"

namespace svirt::cli {

CommandResult cmd_audit(const Options&, const std::vector<std::string>&) {
  return fail(make_error(ErrorCode::kUnsupported, "audit: not available in this build yet"));
}

}  // namespace svirt::cli
