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

// The nested <backingStore> elements of `layer` and the layers below it,
// ending in an empty <backingStore/>, not yet in the tree; null when there is
// nothing to write. A discovered network layer is left out, and so is the
// end marker above it: the chain stays open.
xmlNode* backing_store_element(xmlDoc* doc, const DiskSource* layer);

}  // namespace svirt::internal
