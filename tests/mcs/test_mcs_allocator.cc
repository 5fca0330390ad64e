// SPDX-License-Identifier: LGPL-2.1-or-later
// MCS category-pair allocator: distinct pairs, exhaustion, reserve/release,
// exclusion of the pairs a live label dominates or is dominated by, and
// agreement with a simple set model under random operations.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

// cmocka 1.1.5 declares its functions without C linkage guards.
extern "C" {
#include <cmocka.h>
}

#include "mcs/mcs_allocator.h"

namespace {

using svirt::CategorySet;
using svirt::ErrorCode;
using svirt::internal::McsAllocator;
using svirt::internal::McsPair;

using PairKey = std::pair<int, int>;

PairKey key(const McsPair& p) { return {p.c1, p.c2}; }

CategorySet set_of(std::initializer_list<int> cats) {
  CategorySet s;
  for (int c : cats) s.add(c);
  return s;
}

McsAllocator make(const CategorySet& pool, uint64_t seed) {
  auto a = McsAllocator::create(pool, seed);
  assert_true(a.ok());
  return std::move(a).value();
}

void test_pair_parse_format(void** /*state*/) {
  auto p = McsPair::parse("c5,c9");
  assert_true(p.ok());
  assert_int_equal(p->c1, 5);
  assert_int_equal(p->c2, 9);
  assert_string_equal(p->format().c_str(), "c5,c9");

  auto swapped = McsPair::parse("c9,c5");
  assert_true(swapped.ok());
  assert_true(*swapped == *p);
  assert_string_equal(swapped->format().c_str(), "c5,c9");

  auto edge = McsPair::parse("c0,c1023");
  assert_true(edge.ok());
  assert_string_equal(edge->format().c_str(), "c0,c1023");
  assert_true(edge->categories() == set_of({0, 1023}));

  const char* bad[] = {"",         "c1",    "c1,c1", "c1,c2,c3", "c1.c2",
                       "c1,c1024", "c1,",   ",c1",   " c1,c2",   "c1,c2 ",
                       "1,2",      "c1;c2", "c0.c1", "c-1,c2",   "s0:c1,c2"};
  for (const char* text : bad) {
    auto r = McsPair::parse(text);
    if (r.ok()) {
      print_error("parsed '%s'\n", text);
      fail();
    }
    assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kInvalidInput));
  }
}

void test_pool_too_small(void** /*state*/) {
  auto seven = McsAllocator::create(CategorySet::span(0, 6));
  assert_false(seven.ok());
  assert_int_equal(static_cast<int>(seven.error().code),
                   static_cast<int>(ErrorCode::kInvalidInput));
  assert_false(McsAllocator::create(CategorySet()).ok());
  assert_false(McsAllocator::create(set_of({1, 100, 200, 300, 400, 500, 1023})).ok());

  auto eight = McsAllocator::create(CategorySet::span(0, 7));
  assert_true(eight.ok());
  assert_int_equal(eight->capacity(), 28);
  assert_int_equal(eight->used(), 0);
}

// Every pair of an 8-category pool comes out exactly once, then nothing.
void test_small_pool_exhaustion(void** /*state*/) {
  const CategorySet pool = CategorySet::span(3, 10);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    McsAllocator a = make(pool, seed);
    std::set<PairKey> seen;
    for (int n = 0; n < 28; ++n) {
      auto p = a.allocate();
      assert_true(p.has_value());
      assert_true(p->c1 < p->c2);
      assert_true(pool.contains(p->c1));
      assert_true(pool.contains(p->c2));
      assert_true(seen.insert(key(*p)).second);
      assert_true(a.is_taken(*p));
    }
    assert_int_equal(seen.size(), 28);
    assert_int_equal(a.used(), 28);
    assert_false(a.allocate().has_value());
    assert_false(a.allocate().has_value());
    assert_int_equal(a.used(), 28);
  }
}

void test_release_then_allocate(void** /*state*/) {
  McsAllocator a = make(CategorySet::span(0, 7), 7);
  std::vector<McsPair> all;
  while (auto p = a.allocate()) all.push_back(*p);
  assert_int_equal(all.size(), 28);

  McsPair freed = all[11];
  assert_true(a.release(freed));
  assert_false(a.is_taken(freed));
  assert_int_equal(a.used(), 27);
  assert_false(a.release(freed));  // already free
  auto again = a.allocate();
  assert_true(again.has_value());
  assert_true(*again == freed);  // the only free pair
  assert_false(a.allocate().has_value());

  // Free everything, then the pool is whole again.
  for (const McsPair& p : all) assert_true(a.release(p));
  assert_int_equal(a.used(), 0);
  std::set<PairKey> seen;
  while (auto p = a.allocate()) assert_true(seen.insert(key(*p)).second);
  assert_int_equal(seen.size(), 28);
}

void test_reserve(void** /*state*/) {
  McsAllocator a = make(CategorySet::span(0, 7), 1);
  McsPair p{2, 5};
  assert_false(a.is_taken(p));
  assert_true(a.reserve(p));
  assert_true(a.is_taken(p));
  assert_int_equal(a.used(), 1);
  assert_false(a.reserve(p));  // already taken
  assert_int_equal(a.used(), 1);

  // Not made of pool categories, or not a proper pair.
  assert_false(a.reserve(McsPair{0, 8}));
  assert_false(a.reserve(McsPair{100, 200}));
  assert_false(a.reserve(McsPair{5, 2}));
  assert_false(a.reserve(McsPair{3, 3}));
  assert_false(a.reserve(McsPair{-1, 2}));
  assert_false(a.reserve(McsPair{2, 1024}));
  assert_false(a.release(McsPair{0, 8}));
  assert_false(a.release(McsPair{5, 2}));
  assert_false(a.is_taken(McsPair{5, 2}));
  assert_false(a.release(McsPair{0, 1}));  // in pool but free
  assert_int_equal(a.used(), 1);

  // Reserved pairs are never handed out.
  for (int n = 0; n < 27; ++n) {
    auto q = a.allocate();
    assert_true(q.has_value());
    assert_false(*q == p);
  }
  assert_false(a.allocate().has_value());
  assert_true(a.release(p));
  auto last = a.allocate();
  assert_true(last.has_value() && *last == p);
}

void test_non_contiguous_pool(void** /*state*/) {
  const CategorySet pool = set_of({10, 20, 30, 40, 50, 60, 70, 80, 90, 1023});
  McsAllocator a = make(pool, 3);
  assert_int_equal(a.capacity(), 45);
  assert_false(a.reserve(McsPair{10, 11}));
  assert_false(a.reserve(McsPair{0, 10}));
  assert_true(a.reserve(McsPair{90, 1023}));
  std::set<PairKey> seen{{90, 1023}};
  while (auto p = a.allocate()) {
    assert_true(pool.contains(p->c1));
    assert_true(pool.contains(p->c2));
    assert_true(p->c1 < p->c2);
    assert_true(seen.insert(key(*p)).second);
  }
  assert_int_equal(seen.size(), 45);
}

// The whole c0.c1023 pool: index <-> pair conversion must be a bijection over
// all 523776 pairs, and construction must not depend on pool size.
void test_full_pool(void** /*state*/) {
  McsAllocator a = make(CategorySet::span(0, 1023), 42);
  assert_int_equal(a.capacity(), 523776);
  assert_true(a.reserve(McsPair{0, 1}));
  assert_true(a.reserve(McsPair{1022, 1023}));
  assert_true(a.reserve(McsPair{0, 1023}));
  assert_true(a.is_taken(McsPair{1022, 1023}));
  assert_false(a.is_taken(McsPair{1021, 1023}));

  std::vector<bool> seen(1024 * 1024, false);
  seen[0 * 1024 + 1] = seen[1022 * 1024 + 1023] = seen[0 * 1024 + 1023] = true;
  uint64_t count = 3;
  while (auto p = a.allocate()) {
    if (!(p->c1 >= 0 && p->c1 < p->c2 && p->c2 < 1024)) fail_msg("bad pair %d,%d", p->c1, p->c2);
    size_t k = static_cast<size_t>(p->c1) * 1024 + static_cast<size_t>(p->c2);
    if (seen[k]) fail_msg("pair c%d,c%d handed out twice", p->c1, p->c2);
    seen[k] = true;
    ++count;
  }
  assert_int_equal(count, 523776);
  assert_int_equal(a.used(), 523776);
}

// With a fixed seed the sequence repeats; from getrandom() it does not.
void test_seeding(void** /*state*/) {
  const CategorySet pool = CategorySet::span(0, 1023);
  McsAllocator a = make(pool, 99);
  McsAllocator b = make(pool, 99);
  auto r1 = McsAllocator::create(pool);
  auto r2 = McsAllocator::create(pool);
  assert_true(r1.ok() && r2.ok());
  bool random_differ = false;
  for (int n = 0; n < 10; ++n) {
    assert_true(*a.allocate() == *b.allocate());
    if (!(*r1->allocate() == *r2->allocate())) random_differ = true;
  }
  assert_true(random_differ);
}

// Picks are spread evenly over the free pairs only. Seeds are fixed, so this
// is deterministic; the bounds are about 10 standard deviations wide.
void test_uniform_over_free(void** /*state*/) {
  const CategorySet pool = CategorySet::span(0, 7);
  std::vector<McsPair> taken;
  for (int c2 = 1; c2 < 8; ++c2) {
    for (int c1 = 0; c1 < c2; ++c1) {
      if (taken.size() < 20) taken.push_back(McsPair{c1, c2});
    }
  }
  std::map<PairKey, int> counts;
  const int kTrials = 8000;
  for (int seed = 0; seed < kTrials; ++seed) {
    McsAllocator a = make(pool, static_cast<uint64_t>(seed));
    for (const McsPair& p : taken) assert_true(a.reserve(p));
    auto p = a.allocate();
    assert_true(p.has_value());
    counts[key(*p)]++;
  }
  assert_int_equal(counts.size(), 8);  // exactly the 8 free pairs
  for (const McsPair& p : taken) assert_int_equal(counts.count(key(p)), 0);
  for (const auto& [pair, n] : counts) {
    // Expected 1000 each, sd ~30.
    if (n < 700 || n > 1300) fail_msg("pair c%d,c%d picked %d times", pair.first, pair.second, n);
  }
}

// Random allocate/reserve/release/is_taken against a std::set model.
void stress(const CategorySet& pool, uint64_t seed, int ops) {
  McsAllocator a = make(pool, seed);
  std::vector<int> cats = pool.to_vector();
  const size_t capacity = cats.size() * (cats.size() - 1) / 2;
  assert_int_equal(a.capacity(), capacity);
  std::set<PairKey> model;
  std::mt19937 rng(static_cast<uint32_t>(seed));
  // Mostly pool categories, sometimes any category, to exercise rejection.
  auto any_cat = [&]() {
    if (rng() % 10 == 0) return static_cast<int>(rng() % 1024);
    return cats[rng() % cats.size()];
  };
  for (int n = 0; n < ops; ++n) {
    McsPair p{any_cat(), any_cat()};
    bool valid = p.c1 < p.c2 && pool.contains(p.c1) && pool.contains(p.c2);
    switch (rng() % 4) {
      case 0: {
        auto got = a.allocate();
        if (model.size() == capacity) {
          assert_false(got.has_value());
        } else {
          assert_true(got.has_value());
          assert_true(got->c1 < got->c2);
          assert_true(pool.contains(got->c1) && pool.contains(got->c2));
          if (!model.insert(key(*got)).second) {
            fail_msg("op %d: allocated taken pair c%d,c%d", n, got->c1, got->c2);
          }
        }
        break;
      }
      case 1: {
        bool expect = valid && model.count(key(p)) == 0;
        assert_int_equal(a.reserve(p), expect);
        if (expect) model.insert(key(p));
        break;
      }
      case 2: {
        // Release a known-taken pair half of the time so the pool drains too.
        if (!model.empty() && rng() % 2 == 0) {
          auto it = model.begin();
          std::advance(it, rng() % model.size());
          p = McsPair{it->first, it->second};
        }
        bool expect = model.count(key(p)) == 1;
        assert_int_equal(a.release(p), expect);
        if (expect) model.erase(key(p));
        break;
      }
      default:
        assert_int_equal(a.is_taken(p), model.count(key(p)) == 1);
        break;
    }
    assert_int_equal(a.used(), model.size());
  }
  // Final state: every pool pair agrees with the model.
  for (size_t j = 1; j < cats.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      McsPair p{cats[i], cats[j]};
      assert_int_equal(a.is_taken(p), model.count(key(p)) == 1);
    }
  }
}

void test_stress_small_pool(void** /*state*/) { stress(CategorySet::span(0, 11), 1234, 100000); }

void test_stress_sparse_pool(void** /*state*/) {
  stress(set_of({2, 3, 17, 64, 65, 66, 500, 900, 1000, 1023}), 77, 100000);
}

void test_stress_large_pool(void** /*state*/) { stress(CategorySet::span(0, 63), 5, 100000); }

// ---- exclude: the pairs a live label dominates or is dominated by ----

// Every pool pair P with P ⊆ live or live ⊆ P, by brute force.
std::set<PairKey> related_model(const CategorySet& pool, const CategorySet& live) {
  std::set<PairKey> out;
  std::vector<int> cats = pool.to_vector();
  for (size_t j = 1; j < cats.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      CategorySet p = set_of({cats[i], cats[j]});
      if (p.is_subset_of(live) || live.is_subset_of(p)) out.insert({cats[i], cats[j]});
    }
  }
  return out;
}

// c0,c1,c2 dominates exactly c0,c1, c0,c2 and c1,c2: the other 25 pairs of
// c0.c7 come out, those three never.
void test_exclude_set(void** /*state*/) {
  McsAllocator a = make(CategorySet::span(0, 7), 11);
  CategorySet live = set_of({0, 1, 2});
  assert_int_equal(a.related_pairs(live), 3);
  a.exclude(live);
  assert_int_equal(a.used(), 3);
  for (McsPair p : {McsPair{0, 1}, McsPair{0, 2}, McsPair{1, 2}}) {
    assert_true(a.is_taken(p));
    assert_false(a.reserve(p));
    assert_false(a.release(p));  // excluded, not taken: nothing to free
  }
  assert_false(a.is_taken(McsPair{0, 3}));
  std::set<PairKey> seen;
  while (auto p = a.allocate()) {
    assert_false(live.contains(p->c1) && live.contains(p->c2));
    assert_true(seen.insert(key(*p)).second);
  }
  assert_int_equal(seen.size(), 25);
}

// An empty set is dominated by every pair; one category by every pair that
// holds it; a set with categories outside the pool by no pair holding those.
void test_exclude_small_and_foreign_sets(void** /*state*/) {
  const CategorySet pool = CategorySet::span(0, 7);
  McsAllocator none = make(pool, 1);
  assert_int_equal(none.related_pairs(CategorySet()), 28);
  none.exclude(CategorySet());
  assert_int_equal(none.used(), 28);
  assert_false(none.allocate().has_value());

  McsAllocator one = make(pool, 2);
  assert_int_equal(one.related_pairs(set_of({3})), 7);
  one.exclude(set_of({3}));
  assert_int_equal(one.used(), 7);
  while (auto p = one.allocate()) assert_true(p->c1 != 3 && p->c2 != 3);
  assert_int_equal(one.used(), 28);

  McsAllocator foreign = make(pool, 3);
  assert_int_equal(foreign.related_pairs(set_of({100})), 0);
  assert_int_equal(foreign.related_pairs(set_of({5, 100})), 0);
  assert_int_equal(foreign.related_pairs(set_of({4, 5, 6, 100})), 3);
  foreign.exclude(set_of({100}));
  foreign.exclude(set_of({5, 100}));
  assert_int_equal(foreign.used(), 0);
  foreign.exclude(set_of({4, 5, 6, 100}));
  assert_int_equal(foreign.used(), 3);
  assert_true(foreign.is_taken(McsPair{4, 6}));
}

// The whole c0.c1023 space: all 523776 pairs out at once, without a
// reservation per pair, and nothing to allocate.
void test_exclude_whole_space(void** /*state*/) {
  const CategorySet pool = CategorySet::span(0, 1023);
  for (int round = 0; round < 20; ++round) {
    McsAllocator a = make(pool, static_cast<uint64_t>(round));
    assert_true(a.reserve(McsPair{5, 6}));
    assert_int_equal(a.related_pairs(pool), 523776);
    a.exclude(pool);
    assert_int_equal(a.used(), 523776);
    assert_false(a.allocate().has_value());
    assert_true(a.is_taken(McsPair{1022, 1023}));
    // Freeing the reserved pair leaves it excluded.
    assert_true(a.release(McsPair{5, 6}));
    assert_true(a.is_taken(McsPair{5, 6}));
    assert_false(a.allocate().has_value());
  }
  // A range short of the space leaves exactly the pairs reaching outside it.
  McsAllocator b = make(pool, 9);
  b.exclude(CategorySet::span(0, 1022));
  assert_int_equal(b.used(), 1023 * 1022 / 2);
  std::set<PairKey> seen;
  while (auto p = b.allocate()) {
    assert_int_equal(p->c2, 1023);
    seen.insert(key(*p));
  }
  assert_int_equal(seen.size(), 1023);
}

// Picks stay uniform over what exclusion leaves: c0.c5 rules out 15 of the
// 28 pairs of c0.c7, and each of the other 13 comes out about as often.
void test_uniform_with_exclusion(void** /*state*/) {
  const CategorySet pool = CategorySet::span(0, 7);
  std::map<PairKey, int> counts;
  const int kTrials = 13000;
  for (int seed = 0; seed < kTrials; ++seed) {
    McsAllocator a = make(pool, static_cast<uint64_t>(seed));
    a.exclude(CategorySet::span(0, 5));
    auto p = a.allocate();
    assert_true(p.has_value());
    counts[key(*p)]++;
  }
  assert_int_equal(counts.size(), 13);
  for (const auto& [pair, n] : counts) {
    assert_true(pair.second >= 6);
    // Expected 1000 each, sd ~30.
    if (n < 700 || n > 1300) fail_msg("pair c%d,c%d picked %d times", pair.first, pair.second, n);
  }
}

// Random allocate/reserve/release/exclude against a model of taken and
// excluded pairs.
void stress_with_exclusion(const CategorySet& pool, uint64_t seed, int ops) {
  McsAllocator a = make(pool, seed);
  std::vector<int> cats = pool.to_vector();
  const size_t capacity = cats.size() * (cats.size() - 1) / 2;
  std::set<PairKey> taken, excluded;
  std::mt19937 rng(static_cast<uint32_t>(seed));
  auto any_cat = [&]() {
    if (rng() % 10 == 0) return static_cast<int>(rng() % 1024);
    return cats[rng() % cats.size()];
  };
  auto out = [&](const PairKey& k) { return taken.count(k) != 0 || excluded.count(k) != 0; };
  // Taken pairs that are excluded too count once.
  auto used_model = [&]() {
    size_t both = 0;
    for (const PairKey& k : taken) both += excluded.count(k);
    return taken.size() + excluded.size() - both;
  };
  for (int n = 0; n < ops; ++n) {
    McsPair p{any_cat(), any_cat()};
    bool valid = p.c1 < p.c2 && pool.contains(p.c1) && pool.contains(p.c2);
    switch (rng() % 5) {
      case 0: {
        auto got = a.allocate();
        if (used_model() == capacity) {
          assert_false(got.has_value());
        } else {
          assert_true(got.has_value());
          if (out(key(*got))) fail_msg("op %d: allocated c%d,c%d, not free", n, got->c1, got->c2);
          taken.insert(key(*got));
        }
        break;
      }
      case 1: {
        bool expect = valid && !out(key(p));
        assert_int_equal(a.reserve(p), expect);
        if (expect) taken.insert(key(p));
        break;
      }
      case 2: {
        if (!taken.empty() && rng() % 2 == 0) {
          auto it = taken.begin();
          std::advance(it, rng() % taken.size());
          p = McsPair{it->first, it->second};
        }
        bool expect = taken.count(key(p)) == 1;
        assert_int_equal(a.release(p), expect);
        taken.erase(key(p));
        break;
      }
      case 3: {
        // Rarely, so the pool does not fill at once: 0 to 4 categories.
        if (rng() % 20 != 0) break;
        CategorySet live;
        for (int k = static_cast<int>(rng() % 5); k > 0; --k) live.add(any_cat());
        if (live.empty() && rng() % 4 != 0) live.add(any_cat());
        std::set<PairKey> rel = related_model(pool, live);
        assert_int_equal(a.related_pairs(live), rel.size());
        a.exclude(live);
        excluded.insert(rel.begin(), rel.end());
        break;
      }
      default:
        assert_int_equal(a.is_taken(p), valid && out(key(p)));
        break;
    }
    assert_int_equal(a.used(), used_model());
    if (used_model() == capacity && rng() % 3 == 0) {
      a = make(pool, seed + static_cast<uint64_t>(n));  // start over with an empty pool
      taken.clear();
      excluded.clear();
    }
  }
}

void test_stress_exclusion(void** /*state*/) {
  stress_with_exclusion(CategorySet::span(0, 11), 4321, 20000);
  stress_with_exclusion(set_of({2, 3, 17, 64, 65, 66, 127, 128, 500, 1023}), 99, 20000);
  stress_with_exclusion(CategorySet::span(60, 135), 7, 20000);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pair_parse_format),
      cmocka_unit_test(test_pool_too_small),
      cmocka_unit_test(test_small_pool_exhaustion),
      cmocka_unit_test(test_release_then_allocate),
      cmocka_unit_test(test_reserve),
      cmocka_unit_test(test_non_contiguous_pool),
      cmocka_unit_test(test_full_pool),
      cmocka_unit_test(test_seeding),
      cmocka_unit_test(test_uniform_over_free),
      cmocka_unit_test(test_stress_small_pool),
      cmocka_unit_test(test_stress_sparse_pool),
      cmocka_unit_test(test_stress_large_pool),
      cmocka_unit_test(test_exclude_set),
      cmocka_unit_test(test_exclude_small_and_foreign_sets),
      cmocka_unit_test(test_exclude_whole_space),
      cmocka_unit_test(test_uniform_with_exclusion),
      cmocka_unit_test(test_stress_exclusion),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
