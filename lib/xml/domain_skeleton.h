// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A domain document written from DomainDef's fields alone, for definitions
// built in code rather than parsed.
#pragma once

#include "svirt/domain.h"
#include "xml/xml_doc.h"

namespace svirt::internal {

// <domain> with os and devices as modelled; name, uuid and seclabels are left
// to the caller.
XmlDocPtr build_domain_skeleton(const DomainDef& def);

}  // namespace svirt::internal
