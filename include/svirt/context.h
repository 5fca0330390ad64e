// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SELinux security context values: user:role:type[:range].
//
// A pure value type: parsing, canonical formatting and MLS/MCS dominance
// without libselinux, so planners and tests can reason about labels on hosts
// without SELinux. Whether the loaded policy knows a context is a separate
// question, answered by the SELinux driver.
//
//   auto c = svirt::SecurityContext::parse("system_u:system_r:svirt_t:s0:c5,c9");
//   if (!c) return c.error();
//   c->range()->low.categories.contains(5);                   // true
//   c->format();                                               // "system_u:system_r:svirt_t:s0:c5,c9"
//
// Canonical text is what the kernel prints: categories ascending, runs of three
// or more consecutive categories folded to "cA.cB", runs of two written
// "cA,cB"; a range whose low and high are equal is written once.
//
// Thread-safety: value types; const methods may be called concurrently.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

// A set of MCS categories c0..c1023.
class SVIRT_EXPORT CategorySet {
 public:
  static constexpr int kMaxCategories = 1024;

  CategorySet() = default;
  // All categories lo..hi inclusive; both must be in [0, kMaxCategories).
  static CategorySet span(int lo, int hi);

  // Parses "c1,c5.c9" (no leading colon). Empty text is an error.
  static Result<CategorySet> parse(std::string_view text);

  bool contains(int c) const { return c >= 0 && c < kMaxCategories && bits_.test(c); }
  void add(int c) { bits_.set(c); }
  void remove(int c) { bits_.reset(c); }
  int size() const { return static_cast<int>(bits_.count()); }
  bool empty() const { return bits_.none(); }
  // True when every category of *this is in `other`.
  bool is_subset_of(const CategorySet& other) const { return (bits_ & ~other.bits_).none(); }
  std::vector<int> to_vector() const;
  // Canonical text, e.g. "c0.c3,c7,c8"; "" for the empty set.
  std::string format() const;

  bool operator==(const CategorySet& other) const { return bits_ == other.bits_; }

 private:
  std::bitset<kMaxCategories> bits_;
};

// One MLS level: sensitivity sN plus categories.
struct SVIRT_EXPORT MlsLevel {
  int sensitivity = 0;  // 0..1023
  CategorySet categories;

  // Parses "s0" or "s0:c1,c2".
  static Result<MlsLevel> parse(std::string_view text);
  std::string format() const;
  // a dominates b: a's sensitivity >= b's and b's categories are a subset of a's.
  bool dominates(const MlsLevel& other) const;
  bool operator==(const MlsLevel& other) const = default;
};

// An MLS range low[-high]; high dominates low.
struct SVIRT_EXPORT MlsRange {
  MlsLevel low;
  MlsLevel high;

  // Parses "s0", "s0:c1,c2" or "s0-s0:c0.c1023". An inverted range (high not
  // dominating low) is an error.
  static Result<MlsRange> parse(std::string_view text);
  static MlsRange single(MlsLevel level) { return MlsRange{level, level}; }
  std::string format() const;
  // True when `other` lies within this range (low <= other.low, other.high <= high).
  bool contains(const MlsRange& other) const;
  bool operator==(const MlsRange& other) const = default;
};

class SVIRT_EXPORT SecurityContext {
 public:
  SecurityContext() = default;
  SecurityContext(std::string user, std::string role, std::string type,
                  std::optional<MlsRange> range = std::nullopt);

  // Parses "user:role:type" or "user:role:type:range". Errors name the part
  // at fault, e.g. "invalid context 'a:b': expected user:role:type[:range]".
  static Result<SecurityContext> parse(std::string_view text);

  const std::string& user() const { return user_; }
  const std::string& role() const { return role_; }
  const std::string& type() const { return type_; }
  const std::optional<MlsRange>& range() const { return range_; }

  SecurityContext with_user(std::string user) const;
  SecurityContext with_role(std::string role) const;
  SecurityContext with_type(std::string type) const;
  SecurityContext with_range(std::optional<MlsRange> range) const;

  std::string format() const;

  // MCS access rule the refpolicy constrains svirt domains with: this
  // context's high level dominates `other`'s high level. A context without a
  // range behaves as s0.
  bool dominates(const SecurityContext& other) const;

  bool operator==(const SecurityContext& other) const = default;

 private:
  std::string user_, role_, type_;
  std::optional<MlsRange> range_;
};

}  // namespace svirt
