// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Writing a backing chain found in image headers into a kept domain
// document, so the live XML names every layer svirt labelled, as libvirt's
// live XML does.
#pragma once

#include <libxml/tree.h>

#include <vector>

#include "svirt/domain.h"

namespace svirt::internal {

// Below the last <backingStore> each <disk> of `root` spells out, the
// layers of the matching disk (by position and target) marked discovered.
void write_discovered_chains(xmlNode* root, const std::vector<Disk>& disks);

}  // namespace svirt::internal
