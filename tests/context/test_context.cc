// SPDX-License-Identifier: LGPL-2.1-or-later
// Parsing, canonical formatting and dominance of SELinux context values.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// cmocka 1.1.5 declares its functions without C linkage guards.
extern "C" {
#include <cmocka.h>
}

#include "svirt/context.h"

namespace {

using svirt::CategorySet;
using svirt::ErrorCode;
using svirt::MlsLevel;
using svirt::MlsRange;
using svirt::SecurityContext;

// Table rows are checked one by one; on failure the row's input is printed so
// the failing case is obvious.
#define CHECK_ROW(cond, input)                                           \
  do {                                                                   \
    if (!(cond)) {                                                       \
      print_error("case '%s': %s\n", std::string(input).c_str(), #cond); \
      fail();                                                            \
    }                                                                    \
  } while (0)

struct FormatCase {
  const char* input;
  const char* canonical;
};

void test_category_round_trips(void** /*state*/) {
  const FormatCase cases[] = {
      {"c0", "c0"},
      {"c1023", "c1023"},
      {"c0,c1,c2", "c0.c2"},
      {"c3,c1", "c1,c3"},
      {"c0.c1", "c0,c1"},
      {"c0.c1023", "c0.c1023"},
      {"c5.c5", "c5"},
      {"c1,c2", "c1,c2"},
      {"c2,c1", "c1,c2"},
      {"c1,c1,c1", "c1"},
      {"c0.c3,c7,c8", "c0.c3,c7,c8"},
      {"c7,c8,c0.c3", "c0.c3,c7,c8"},
      {"c0.c2,c3", "c0.c3"},
      {"c0.c2,c4.c6", "c0.c2,c4.c6"},
      {"c0.c2,c3.c5", "c0.c5"},
      {"c1.c3,c2.c4", "c1.c4"},
      {"c10,c12,c11", "c10.c12"},
      {"c1020.c1023", "c1020.c1023"},
      {"c1022,c1023", "c1022,c1023"},
      {"c0,c2,c4", "c0,c2,c4"},
      {"c0,c1,c3,c4,c5", "c0,c1,c3.c5"},
  };
  for (const auto& tc : cases) {
    auto set = CategorySet::parse(tc.input);
    CHECK_ROW(set.ok(), tc.input);
    CHECK_ROW(set->format() == tc.canonical, tc.input);
    // Canonical text must parse back to the same set.
    auto again = CategorySet::parse(set->format());
    CHECK_ROW(again.ok() && *again == *set, tc.input);
  }
}

void test_category_contents(void** /*state*/) {
  auto set = CategorySet::parse("c1,c5.c9");
  assert_true(set.ok());
  assert_int_equal(set->size(), 6);
  assert_true(set->contains(1));
  assert_false(set->contains(2));
  assert_false(set->contains(4));
  assert_true(set->contains(5));
  assert_true(set->contains(9));
  assert_false(set->contains(10));
  assert_false(set->contains(-1));
  assert_false(set->contains(1024));
  std::vector<int> expected = {1, 5, 6, 7, 8, 9};
  assert_true(set->to_vector() == expected);

  auto all = CategorySet::parse("c0.c1023");
  assert_true(all.ok());
  assert_int_equal(all->size(), 1024);
  assert_true(*all == CategorySet::span(0, 1023));
  assert_true(set->is_subset_of(*all));
  assert_false(all->is_subset_of(*set));
}

void test_category_span_and_edit(void** /*state*/) {
  CategorySet s = CategorySet::span(3, 6);
  assert_string_equal(s.format().c_str(), "c3.c6");
  s.remove(4);
  assert_string_equal(s.format().c_str(), "c3,c5,c6");
  s.add(4);
  s.add(7);
  assert_string_equal(s.format().c_str(), "c3.c7");
  assert_true(CategorySet().empty());
  assert_string_equal(CategorySet().format().c_str(), "");
  assert_string_equal(CategorySet::span(9, 9).format().c_str(), "c9");
  assert_true(CategorySet::span(5, 4).empty());
}

void test_category_malformed(void** /*state*/) {
  const char* bad[] = {
      "",       "c",        "c1024", "c99999999999999999999",
      "c-1",    "c+1",      "1",     "x1",
      "C1",     "c1,",      ",c1",   "c1,,c2",
      "c5.c2",  "c0.c1024", "c0.",   ".c3",
      "c0..c3", "c0.c1.c2", "c 1",   " c1",
      "c1 ",    "c1, c2",   "c01",   "c1a",
      "c0x10",  "cc1",      "c1:c2", "c0.c",
  };
  for (const char* text : bad) {
    auto set = CategorySet::parse(text);
    CHECK_ROW(!set.ok(), text);
    CHECK_ROW(set.error().code == ErrorCode::kInvalidInput, text);
  }
}

void test_level_round_trips(void** /*state*/) {
  const FormatCase cases[] = {
      {"s0", "s0"},
      {"s15", "s15"},
      {"s1023", "s1023"},
      {"s0:c1,c2", "s0:c1,c2"},
      {"s0:c2,c1", "s0:c1,c2"},
      {"s0:c0,c1,c2", "s0:c0.c2"},
      {"s2:c0.c1023", "s2:c0.c1023"},
  };
  for (const auto& tc : cases) {
    auto level = MlsLevel::parse(tc.input);
    CHECK_ROW(level.ok(), tc.input);
    CHECK_ROW(level->format() == tc.canonical, tc.input);
  }
  auto l = MlsLevel::parse("s3:c4,c9");
  assert_true(l.ok());
  assert_int_equal(l->sensitivity, 3);
  assert_true(l->categories.contains(4));
  assert_true(l->categories.contains(9));
  assert_int_equal(l->categories.size(), 2);
}

void test_level_malformed(void** /*state*/) {
  const char* bad[] = {
      "",         "s",  "s0:", "s0:c", "s1024",    "s-1",   "s01",          "S0",       "0",
      "s0:c1024", "sx", "s0 ", " s0",  "s0:c1:c2", "s0,c1", "s99999999999", "s0:c5.c2", "s0c1",
  };
  for (const char* text : bad) {
    auto level = MlsLevel::parse(text);
    CHECK_ROW(!level.ok(), text);
    CHECK_ROW(level.error().code == ErrorCode::kInvalidInput, text);
  }
}

void test_range_round_trips(void** /*state*/) {
  const FormatCase cases[] = {
      {"s0", "s0"},
      {"s0-s0", "s0"},
      {"s0:c1,c2", "s0:c1,c2"},
      {"s0:c1,c2-s0:c1,c2", "s0:c1,c2"},
      {"s0-s0:c0.c1023", "s0-s0:c0.c1023"},
      {"s0:c1-s0:c0,c1,c2", "s0:c1-s0:c0.c2"},
      {"s0-s3", "s0-s3"},
      {"s1:c4-s2:c3,c4", "s1:c4-s2:c3,c4"},
  };
  for (const auto& tc : cases) {
    auto range = MlsRange::parse(tc.input);
    CHECK_ROW(range.ok(), tc.input);
    CHECK_ROW(range->format() == tc.canonical, tc.input);
  }
  auto r = MlsRange::parse("s0-s0:c0.c1023");
  assert_true(r.ok());
  assert_int_equal(r->low.sensitivity, 0);
  assert_true(r->low.categories.empty());
  assert_int_equal(r->high.categories.size(), 1024);
}

void test_range_malformed(void** /*state*/) {
  const char* bad[] = {
      "",         "-",      "s0-",      "-s0",     "s0:c1-s0",          "s1-s0",  "s0:c1-s0:c2",
      "s0-s0-s0", "s0--s0", "s0:c1024", "s0 - s0", "s0:c5.c2-s0:c0.c9", "s0-s0:",
  };
  for (const char* text : bad) {
    auto range = MlsRange::parse(text);
    CHECK_ROW(!range.ok(), text);
    CHECK_ROW(range.error().code == ErrorCode::kInvalidInput, text);
  }
  auto inverted = MlsRange::parse("s0:c1-s0");
  assert_false(inverted.ok());
  assert_non_null(strstr(inverted.error().message.c_str(), "dominate"));
}

void test_range_contains(void** /*state*/) {
  auto outer = MlsRange::parse("s0-s0:c0.c1023");
  auto inner = MlsRange::parse("s0:c5,c9");
  auto narrow = MlsRange::parse("s0-s0:c0.c9");
  auto higher = MlsRange::parse("s0-s1:c1");
  assert_true(outer.ok() && inner.ok() && narrow.ok() && higher.ok());
  assert_true(outer->contains(*inner));
  assert_true(outer->contains(*outer));
  assert_true(outer->contains(*narrow));
  assert_false(inner->contains(*outer));
  assert_false(narrow->contains(*outer));
  assert_true(narrow->contains(*inner));
  assert_false(outer->contains(*higher));  // higher sensitivity than outer's high
  // inner's low (s0:c5,c9) is above narrow's low s0, so narrow's low is outside inner.
  assert_false(inner->contains(*narrow));
}

void test_level_dominance(void** /*state*/) {
  struct Case {
    const char* a;
    const char* b;
    bool a_dominates_b;
  };
  const Case cases[] = {
      {"s0", "s0", true},
      {"s0:c1", "s0", true},
      {"s0", "s0:c1", false},
      {"s0:c1,c2", "s0:c1", true},
      {"s0:c1,c2", "s0:c1,c2", true},
      {"s0:c1,c2", "s0:c1,c3", false},
      {"s0:c0.c1023", "s0:c5,c9", true},
      {"s0:c5,c9", "s0:c0.c1023", false},
      {"s1", "s0", true},
      {"s0", "s1", false},
      {"s1:c1", "s0:c1", true},
      {"s1", "s0:c1", false},  // higher sensitivity does not cover missing categories
      {"s0:c1,c2", "s1:c1", false},
  };
  for (const auto& tc : cases) {
    auto a = MlsLevel::parse(tc.a);
    auto b = MlsLevel::parse(tc.b);
    std::string row = std::string(tc.a) + " >= " + tc.b;
    CHECK_ROW(a.ok() && b.ok(), row);
    CHECK_ROW(a->dominates(*b) == tc.a_dominates_b, row);
  }
}

void test_context_round_trips(void** /*state*/) {
  const FormatCase cases[] = {
      {"system_u:system_r:svirt_t:s0:c5,c9", "system_u:system_r:svirt_t:s0:c5,c9"},
      {"system_u:system_r:svirt_t:s0:c9,c5", "system_u:system_r:svirt_t:s0:c5,c9"},
      {"system_u:object_r:svirt_image_t:s0:c1,c2,c3", "system_u:object_r:svirt_image_t:s0:c1.c3"},
      {"unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
       "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"},
      {"system_u:object_r:etc_t:s0-s0", "system_u:object_r:etc_t:s0"},
      {"user_u:user_r:user_t", "user_u:user_r:user_t"},
      {"a:b:c", "a:b:c"},
      {"u-1.x:R_2:T.3-x:s0", "u-1.x:R_2:T.3-x:s0"},
  };
  for (const auto& tc : cases) {
    auto ctx = SecurityContext::parse(tc.input);
    CHECK_ROW(ctx.ok(), tc.input);
    CHECK_ROW(ctx->format() == tc.canonical, tc.input);
  }
}

void test_context_parts(void** /*state*/) {
  auto c = SecurityContext::parse("system_u:system_r:svirt_t:s0:c5,c9");
  assert_true(c.ok());
  assert_string_equal(c->user().c_str(), "system_u");
  assert_string_equal(c->role().c_str(), "system_r");
  assert_string_equal(c->type().c_str(), "svirt_t");
  assert_true(c->range().has_value());
  assert_true(c->range()->low.categories.contains(5));
  assert_true(c->range()->low.categories.contains(9));
  assert_true(c->range()->low == c->range()->high);

  auto plain = SecurityContext::parse("system_u:object_r:etc_t");
  assert_true(plain.ok());
  assert_false(plain->range().has_value());
}

void test_context_malformed(void** /*state*/) {
  const char* bad[] = {
      "",
      "x",
      "x:y",
      "::",
      ":r:t",
      "u::t",
      "u:r:",
      "u:r:t:",
      "u:r:t:s",
      "u:r:t:s0:",
      "u:r:t:s0:c",
      "u:r:t:s0:c1024",
      "u:r:t:s0-",
      "u:r:t:s0:c1-s0",
      "u:r:t:s0:c5.c2",
      "u:r:t:s0:c99999999999999",
      "u:r:t:sX",
      "u:r:t:s0:cX",
      "u :r:t",
      "u:r :t",
      "u:r:t ",
      " u:r:t",
      "u:r:t:s0 ",
      "u:r:t:s0:c1, c2",
      "u:r:t:s0:c1:",
      "u$:r:t",
      "u:r/x:t",
      "u:r:t*",
      "u:r:t\n",
  };
  for (const char* text : bad) {
    auto ctx = SecurityContext::parse(text);
    CHECK_ROW(!ctx.ok(), text);
    CHECK_ROW(ctx.error().code == ErrorCode::kInvalidInput, text);
    // Errors quote the whole input, control characters escaped: one line.
    std::string shown;
    for (const char* c = text; *c != '\0'; ++c) shown += *c == '\n' ? std::string("\\x0a") : std::string(1, *c);
    CHECK_ROW(ctx.error().message.find("invalid context '" + shown + "'") == 0, text);
    CHECK_ROW(ctx.error().message.find('\n') == std::string::npos, text);
  }
}

void test_context_error_messages(void** /*state*/) {
  auto short_ctx = SecurityContext::parse("x:y");
  assert_false(short_ctx.ok());
  assert_string_equal(short_ctx.error().message.c_str(),
                      "invalid context 'x:y': expected user:role:type[:range]");

  auto big_cat = SecurityContext::parse("u:r:t:s0:c1024");
  assert_false(big_cat.ok());
  assert_string_equal(big_cat.error().message.c_str(),
                      "invalid context 'u:r:t:s0:c1024': bad category 'c1024'");

  auto empty_role = SecurityContext::parse("u::t");
  assert_false(empty_role.ok());
  assert_non_null(strstr(empty_role.error().message.c_str(), "role"));

  auto bad_type = SecurityContext::parse("u:r:t*");
  assert_false(bad_type.ok());
  assert_non_null(strstr(bad_type.error().message.c_str(), "type 't*'"));

  auto bad_sens = MlsLevel::parse("s1024");
  assert_false(bad_sens.ok());
  assert_non_null(strstr(bad_sens.error().message.c_str(), "'s1024'"));

  auto bad_span = CategorySet::parse("c1,c5.c2");
  assert_false(bad_span.ok());
  assert_non_null(strstr(bad_span.error().message.c_str(), "'c5.c2'"));
}

void test_context_dominance(void** /*state*/) {
  struct Case {
    const char* a;
    const char* b;
    bool a_dominates_b;
  };
  const Case cases[] = {
      // A process range up to c0.c1023 covers every VM's pair.
      {"u:r:t:s0-s0:c0.c1023", "u:r:svirt_t:s0:c5,c9", true},
      {"u:r:svirt_t:s0:c5,c9", "u:r:t:s0-s0:c0.c1023", false},
      {"u:r:svirt_t:s0:c5,c9", "u:object_r:img_t:s0:c5,c9", true},
      {"u:r:svirt_t:s0:c5,c9", "u:object_r:img_t:s0:c5,c10", false},
      {"u:r:svirt_t:s0:c5,c9", "u:object_r:img_t:s0:c5", true},
      {"u:r:svirt_t:s0:c5,c9", "u:object_r:img_t:s0", true},
      {"u:r:svirt_t:s0:c5,c9", "u:object_r:etc_t", true},  // no range = s0
      {"u:object_r:etc_t", "u:r:svirt_t:s0:c5,c9", false},
      {"u:object_r:etc_t", "u:object_r:tmp_t", true},
      {"u:object_r:etc_t", "u:object_r:tmp_t:s0", true},
      {"u:object_r:etc_t", "u:object_r:tmp_t:s1", false},
      // Only the high level counts: b's low c1 is irrelevant.
      {"u:r:t:s0:c2", "u:r:t:s0:c1-s0:c1,c2", false},
      {"u:r:t:s0:c1,c2", "u:r:t:s0:c1-s0:c1,c2", true},
  };
  for (const auto& tc : cases) {
    auto a = SecurityContext::parse(tc.a);
    auto b = SecurityContext::parse(tc.b);
    std::string row = std::string(tc.a) + " >= " + tc.b;
    CHECK_ROW(a.ok() && b.ok(), row);
    CHECK_ROW(a->dominates(*b) == tc.a_dominates_b, row);
  }
}

void test_context_equality_and_with(void** /*state*/) {
  auto a = SecurityContext::parse("system_u:system_r:svirt_t:s0:c1,c2");
  auto b = SecurityContext::parse("system_u:system_r:svirt_t:s0:c2,c1");
  auto c = SecurityContext::parse("system_u:system_r:svirt_t:s0:c1,c3");
  auto d = SecurityContext::parse("system_u:system_r:svirt_t");
  auto e = SecurityContext::parse("system_u:system_r:svirt_t:s0:c1,c2-s0:c1,c2");
  assert_true(a.ok() && b.ok() && c.ok() && d.ok() && e.ok());
  assert_true(*a == *b);
  assert_true(*a == *e);
  assert_false(*a == *c);
  assert_false(*a == *d);
  assert_false(*d == *a);

  SecurityContext t = a->with_type("svirt_tcg_t");
  assert_string_equal(t.format().c_str(), "system_u:system_r:svirt_tcg_t:s0:c1,c2");
  assert_string_equal(a->format().c_str(), "system_u:system_r:svirt_t:s0:c1,c2");  // unchanged
  assert_string_equal(a->with_user("u2").format().c_str(), "u2:system_r:svirt_t:s0:c1,c2");
  assert_string_equal(a->with_role("object_r").format().c_str(),
                      "system_u:object_r:svirt_t:s0:c1,c2");
  assert_true(a->with_range(std::nullopt) == *d);
  assert_true(d->with_range(a->range()) == *a);
  assert_true(a->with_range(c->range()) == *c);

  SecurityContext built("system_u", "object_r", "svirt_image_t",
                        MlsRange::single(MlsLevel{0, CategorySet::span(7, 8)}));
  assert_string_equal(built.format().c_str(), "system_u:object_r:svirt_image_t:s0:c7,c8");
  auto parsed = SecurityContext::parse(built.format());
  assert_true(parsed.ok());
  assert_true(*parsed == built);

  SecurityContext no_range("u", "r", "t");
  assert_string_equal(no_range.format().c_str(), "u:r:t");
  assert_true(SecurityContext() == SecurityContext("", "", ""));
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_category_round_trips),
      cmocka_unit_test(test_category_contents),
      cmocka_unit_test(test_category_span_and_edit),
      cmocka_unit_test(test_category_malformed),
      cmocka_unit_test(test_level_round_trips),
      cmocka_unit_test(test_level_malformed),
      cmocka_unit_test(test_range_round_trips),
      cmocka_unit_test(test_range_malformed),
      cmocka_unit_test(test_range_contains),
      cmocka_unit_test(test_level_dominance),
      cmocka_unit_test(test_context_round_trips),
      cmocka_unit_test(test_context_parts),
      cmocka_unit_test(test_context_malformed),
      cmocka_unit_test(test_context_error_messages),
      cmocka_unit_test(test_context_dominance),
      cmocka_unit_test(test_context_equality_and_with),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
