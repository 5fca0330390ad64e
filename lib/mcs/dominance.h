// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MCS dominance between live labels, and how a label's categories are keyed
// in the host-wide registry (mcs.db). docs/mcs.md states the rule: no live
// label may dominate, or be dominated by, another live domain's categories.
//
// Only categories are compared: MCS policies have the one sensitivity s0,
// and the kernel's MCS constraints compare the high levels of subject and
// object, so a label counts by the categories of its high level.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "svirt/context.h"

namespace svirt::internal {

// The registry key of a label's categories: CategorySet's canonical text
// ("c3,c4" for a pair, as dynamic labels always were; "c0.c2" for
// c0,c1,c2; "c0.c7,c9"), or "none" for a label without categories.
std::string registry_key(const CategorySet& categories);

// The categories a registry key stands for; nullopt for text that is no key
// (written by another version, or damaged), which callers ignore.
std::optional<CategorySet> parse_registry_key(std::string_view key);

// One set dominates the other (equal sets included): a process holding one
// reaches files labelled with the other, or the other way round.
inline bool mcs_related(const CategorySet& a, const CategorySet& b) {
  return a.is_subset_of(b) || b.is_subset_of(a);
}

// How `a` stands to `b`, for messages: "has the same categories as",
// "dominates" or "is dominated by"; "" when unrelated.
std::string_view mcs_relation(const CategorySet& a, const CategorySet& b);

}  // namespace svirt::internal
