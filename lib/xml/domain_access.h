// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Library-internal access to DomainDef's kept document.
#pragma once

#include <string>
#include <utility>

#include "svirt/domain.h"

namespace svirt {

struct DomainDefAccess {
  static const std::string& original_xml(const DomainDef& def) { return def.original_xml_; }
  static void set_original_xml(DomainDef& def, std::string xml) {
    def.original_xml_ = std::move(xml);
  }
};

}  // namespace svirt
