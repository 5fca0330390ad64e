// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Domain-level and per-source <seclabel> parsing with libvirt's rules.
#pragma once

#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <vector>

#include "svirt/domain.h"
#include "svirt/result.h"

namespace svirt::internal {

// Parses and validates every <seclabel> child of <domain>.
Result<std::vector<SecLabelDef>> parse_domain_seclabels(const xmlNode* domain);

// Checks the rules on a set of domain seclabels (also for ones built in code).
Result<void> validate_domain_seclabels(const std::vector<SecLabelDef>& labels);

// Parses the <seclabel> children of a device <source> and checks them against
// the domain-level seclabels.
Result<std::vector<SourceSecLabel>> parse_source_seclabels(
    const xmlNode* source, const std::vector<SecLabelDef>& domain_labels);

// Fails unless `text` is a label the security model accepts: an SELinux
// context for "selinux" (and for "", the default model), user:group for "dac".
Result<void> validate_label_text(std::string_view model, std::string_view text);

// "seclabel" or "seclabel model 'selinux'", for messages.
std::string seclabel_name(std::string_view model);

const char* seclabel_type_name(SeclabelType type);

}  // namespace svirt::internal
