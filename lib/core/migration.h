// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the manager's migration calls (svirt/migration.h) hand the driver: the
// verbs of the transaction get a TransactionOptions that names the side, the
// shared storage and, incoming, the pairs the source's labels carried.
//
// Thread-safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "svirt/domain.h"
#include "svirt/migration.h"

namespace svirt::internal {

// `def` without what a migration carries over from the source host: the
// <label> and <imagelabel> of each seclabel that is not static (none has
// neither). The category pairs they named are appended to `carried`.
DomainDef without_carried_labels(const DomainDef& def, std::vector<std::string>* carried);

}  // namespace svirt::internal
