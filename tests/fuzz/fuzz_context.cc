// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SELinux context, MLS range, level and category set parsers under libFuzzer.
//
// The input is read as two values separated by the first newline (or one
// value when there is none). Properties, for each value a parser accepts:
//   - its canonical text parses again to an equal value, and that value
//     formats to the same text;
//   - dominance and range containment are reflexive, and a range's high level
//     dominates its low level.
// Every refusal is one line of text, whatever the input holds.
// For two accepted levels (the high levels of two contexts or ranges),
// dominance is antisymmetric: mutual dominance means equal levels.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "svirt/context.h"

namespace {

using svirt::CategorySet;
using svirt::MlsLevel;
using svirt::MlsRange;
using svirt::SecurityContext;
using svirt::fuzz::check;

// parse(format(x)) == x and format is stable, for any of the value types.
template <typename T>
void check_canonical(const T& value, std::string_view input, const char* type) {
  const std::string text = value.format();
  svirt::Result<T> again = T::parse(text);
  if (!again) {
    svirt::fuzz::fail(
        std::string(type) + ": canonical text does not parse: " + again.error().message, input,
        text);
  }
  check(*again == value, std::string(type) + ": parse(format(x)) != x", input, text);
  check(again->format() == text, std::string(type) + ": format is not stable", text,
        again->format());
}

void check_level(const MlsLevel& level, std::string_view input) {
  check_canonical(level, input, "level");
  check(level.dominates(level), "level does not dominate itself", input);
  check(level.categories.size() == static_cast<int>(level.categories.to_vector().size()),
        "category count disagrees with the category list", input);
}

void check_range(const MlsRange& range, std::string_view input) {
  check_canonical(range, input, "range");
  check(range.contains(range), "range does not contain itself", input);
  check(range.high.dominates(range.low), "accepted range whose high does not dominate low", input);
  check_level(range.low, input);
  check_level(range.high, input);
}

template <typename T>
void check_refusal(const svirt::Result<T>& r, std::string_view input) {
  if (r) return;
  check(r.error().message.find_first_of("\n\r") == std::string::npos,
        "error message spans several lines", input, r.error().message);
}

struct Parsed {
  std::optional<MlsLevel> high;  // the level a dominance check looks at
};

Parsed check_one(std::string_view text) {
  Parsed out;
  check_refusal(SecurityContext::parse(text), text);
  check_refusal(MlsRange::parse(text), text);
  check_refusal(MlsLevel::parse(text), text);
  check_refusal(CategorySet::parse(text), text);
  if (svirt::Result<SecurityContext> c = SecurityContext::parse(text)) {
    check_canonical(*c, text, "context");
    check(c->dominates(*c), "context does not dominate itself", text);
    if (c->range()) {
      check_range(*c->range(), text);
      out.high = c->range()->high;
    } else {
      out.high = MlsLevel{};
    }
  }
  if (svirt::Result<MlsRange> r = MlsRange::parse(text)) {
    check_range(*r, text);
    out.high = r->high;
  }
  if (svirt::Result<MlsLevel> l = MlsLevel::parse(text)) check_level(*l, text);
  if (svirt::Result<CategorySet> s = CategorySet::parse(text)) {
    check_canonical(*s, text, "category set");
    check(!s->empty(), "accepted an empty category set", text);
    check(s->is_subset_of(*s), "category set is not a subset of itself", text);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  Parsed a = check_one(input.substr(0, nl));
  if (nl == std::string_view::npos) return 0;
  Parsed b = check_one(input.substr(nl + 1));
  if (a.high && b.high && a.high->dominates(*b.high) && b.high->dominates(*a.high)) {
    check(*a.high == *b.high, "levels dominate each other but differ", a.high->format(),
          b.high->format());
  }
  return 0;
}
