// SPDX-License-Identifier: LGPL-2.1-or-later
#include "svirt/context.h"

#include "core/quote.h"

#include <utility>

namespace svirt {
namespace {

constexpr int kMaxSensitivity = 1023;

// Sub-parsers return the reason only; each public parse() prefixes it with
// the whole text it was given, so nested errors still name the outer value.
Error reason(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

using internal::quoted;

// Decimal number without sign or leading zeros (policy names are "c5", never
// "c05"), at most `max`. Length is capped first so huge inputs cannot overflow.
std::optional<int> parse_number(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 4) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int v = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// "c<N>" with N in 0..1023.
std::optional<int> parse_category(std::string_view text) {
  if (text.size() < 2 || text[0] != 'c') return std::nullopt;
  return parse_number(text.substr(1), CategorySet::kMaxCategories - 1);
}

Result<CategorySet> parse_categories(std::string_view text) {
  if (text.empty()) return reason("empty category set");
  CategorySet set;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return reason("empty category in " + quoted(text));
    size_t dot = item.find('.');
    if (dot == std::string_view::npos) {
      auto c = parse_category(item);
      if (!c) return reason("bad category " + quoted(item));
      set.add(*c);
    } else {
      std::string_view lo_text = item.substr(0, dot);
      std::string_view hi_text = item.substr(dot + 1);
      auto lo = parse_category(lo_text);
      if (!lo) return reason("bad category " + quoted(lo_text));
      auto hi = parse_category(hi_text);
      if (!hi) return reason("bad category " + quoted(hi_text));
      if (*lo > *hi) return reason("inverted category span " + quoted(item));
      for (int c = *lo; c <= *hi; ++c) set.add(c);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

Result<MlsLevel> parse_level(std::string_view text) {
  if (text.empty()) return reason("empty level");
  size_t colon = text.find(':');
  std::string_view sens = text.substr(0, colon);
  if (sens.size() < 2 || sens[0] != 's') return reason("bad sensitivity " + quoted(sens));
  auto s = parse_number(sens.substr(1), kMaxSensitivity);
  if (!s) return reason("bad sensitivity " + quoted(sens));
  MlsLevel level;
  level.sensitivity = *s;
  if (colon != std::string_view::npos) {
    auto cats = parse_categories(text.substr(colon + 1));
    if (!cats) return cats.error();
    level.categories = std::move(*cats);
  }
  return level;
}

Result<MlsRange> parse_range(std::string_view text) {
  if (text.empty()) return reason("empty range");
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto level = parse_level(text);
    if (!level) return level.error();
    return MlsRange::single(std::move(*level));
  }
  std::string_view low_text = text.substr(0, dash);
  std::string_view high_text = text.substr(dash + 1);
  if (high_text.find('-') != std::string_view::npos) return reason("more than one '-' in range");
  if (low_text.empty()) return reason("empty low level");
  if (high_text.empty()) return reason("empty high level");
  auto low = parse_level(low_text);
  if (!low) return low.error();
  auto high = parse_level(high_text);
  if (!high) return high.error();
  if (!high->dominates(*low)) {
    return reason("high level " + quoted(high_text) + " does not dominate low level " +
                  quoted(low_text));
  }
  return MlsRange{std::move(*low), std::move(*high)};
}

// Users, roles and types are policy identifiers.
bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

Error invalid(std::string_view what, std::string_view text, const Error& why) {
  return make_error(ErrorCode::kInvalidInput,
                    "invalid " + std::string(what) + " " + quoted(text) + ": " + why.message);
}

}  // namespace

// ---- CategorySet ----

CategorySet CategorySet::span(int lo, int hi) {
  CategorySet set;
  if (lo < 0) lo = 0;
  if (hi >= kMaxCategories) hi = kMaxCategories - 1;
  for (int c = lo; c <= hi; ++c) set.add(c);
  return set;
}

Result<CategorySet> CategorySet::parse(std::string_view text) {
  auto set = parse_categories(text);
  if (!set) return invalid("category set", text, set.error());
  return set;
}

std::vector<int> CategorySet::to_vector() const {
  std::vector<int> out;
  out.reserve(bits_.count());
  for (int c = 0; c < kMaxCategories; ++c) {
    if (bits_.test(c)) out.push_back(c);
  }
  return out;
}

std::string CategorySet::format() const {
  std::string out;
  auto emit = [&out](int c) {
    if (!out.empty()) out += ',';
    out += 'c';
    out += std::to_string(c);
  };
  int c = 0;
  while (c < kMaxCategories) {
    if (!bits_.test(c)) {
      ++c;
      continue;
    }
    int end = c;
    while (end + 1 < kMaxCategories && bits_.test(end + 1)) ++end;
    int run = end - c + 1;
    if (run >= 3) {
      emit(c);
      out += ".c";
      out += std::to_string(end);
    } else {
      for (int k = c; k <= end; ++k) emit(k);
    }
    c = end + 1;
  }
  return out;
}

// ---- MlsLevel ----

Result<MlsLevel> MlsLevel::parse(std::string_view text) {
  auto level = parse_level(text);
  if (!level) return invalid("level", text, level.error());
  return level;
}

std::string MlsLevel::format() const {
  std::string out = "s" + std::to_string(sensitivity);
  if (!categories.empty()) out += ":" + categories.format();
  return out;
}

bool MlsLevel::dominates(const MlsLevel& other) const {
  return sensitivity >= other.sensitivity && other.categories.is_subset_of(categories);
}

// ---- MlsRange ----

Result<MlsRange> MlsRange::parse(std::string_view text) {
  auto range = parse_range(text);
  if (!range) return invalid("range", text, range.error());
  return range;
}

std::string MlsRange::format() const {
  if (low == high) return low.format();
  return low.format() + "-" + high.format();
}

bool MlsRange::contains(const MlsRange& other) const {
  return other.low.dominates(low) && high.dominates(other.high);
}

// ---- SecurityContext ----

SecurityContext::SecurityContext(std::string user, std::string role, std::string type,
                                 std::optional<MlsRange> range)
    : user_(std::move(user)),
      role_(std::move(role)),
      type_(std::move(type)),
      range_(std::move(range)) {}

Result<SecurityContext> SecurityContext::parse(std::string_view text) {
  auto fail = [text](std::string why) {
    return make_error(ErrorCode::kInvalidInput, "invalid context " + quoted(text) + ": " + why);
  };
  size_t c1 = text.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return fail("expected user:role:type[:range]");
  size_t c3 = text.find(':', c2 + 1);

  std::string_view user = text.substr(0, c1);
  std::string_view role = text.substr(c1 + 1, c2 - c1 - 1);
  std::string_view type =
      text.substr(c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1);
  const std::pair<const char*, std::string_view> parts[] = {
      {"user", user}, {"role", role}, {"type", type}};
  for (const auto& [name, value] : parts) {
    if (value.empty()) return fail(std::string("empty ") + name);
    if (!is_identifier(value)) return fail(std::string("bad ") + name + " " + quoted(value));
  }

  std::optional<MlsRange> range;
  if (c3 != std::string_view::npos) {
    auto r = parse_range(text.substr(c3 + 1));
    if (!r) return fail(r.error().message);
    range = std::move(*r);
  }
  return SecurityContext(std::string(user), std::string(role), std::string(type), std::move(range));
}

SecurityContext SecurityContext::with_user(std::string user) const {
  SecurityContext c = *this;
  c.user_ = std::move(user);
  return c;
}

SecurityContext SecurityContext::with_role(std::string role) const {
  SecurityContext c = *this;
  c.role_ = std::move(role);
  return c;
}

SecurityContext SecurityContext::with_type(std::string type) const {
  SecurityContext c = *this;
  c.type_ = std::move(type);
  return c;
}

SecurityContext SecurityContext::with_range(std::optional<MlsRange> range) const {
  SecurityContext c = *this;
  c.range_ = std::move(range);
  return c;
}

std::string SecurityContext::format() const {
  std::string out = user_ + ":" + role_ + ":" + type_;
  if (range_) out += ":" + range_->format();
  return out;
}

bool SecurityContext::dominates(const SecurityContext& other) const {
  static const MlsLevel kS0{};
  const MlsLevel& mine = range_ ? range_->high : kS0;
  const MlsLevel& theirs = other.range_ ? other.range_->high : kS0;
  return mine.dominates(theirs);
}

}  // namespace svirt
