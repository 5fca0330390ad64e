// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mcs/dominance.h"

namespace svirt::internal {
namespace {
// CategorySet prints the empty set as "", which a key file cannot hold as a
// key; "none" parses as no category set, so earlier versions skip it.
constexpr std::string_view kNoCategories = "none";
}  // namespace

std::string registry_key(const CategorySet& categories) {
  if (categories.empty()) return std::string(kNoCategories);
  return categories.format();
}

std::optional<CategorySet> parse_registry_key(std::string_view key) {
  if (key == kNoCategories) return CategorySet();
  auto set = CategorySet::parse(key);
  if (!set) return std::nullopt;
  return *set;
}

std::string_view mcs_relation(const CategorySet& a, const CategorySet& b) {
  if (a == b) return "has the same categories as";
  if (b.is_subset_of(a)) return "dominates";
  if (a.is_subset_of(b)) return "is dominated by";
  return "";
}

}  // namespace svirt::internal
