// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MCS category-pair allocator: hands out distinct unordered pairs {cA, cB} of
// a category pool, uniformly at random among the free ones.
//
// Every operation costs O(1) expected time at any fill level and never loops
// retrying random picks: free and taken pairs are kept as the two halves of a
// permutation of pair indices (a Fisher-Yates shuffle done lazily). The
// permutation is stored sparsely, as only the slots that differ from the
// identity, so a c0.c1023 pool (523776 pairs) costs nothing until used.
//
//   auto alloc = McsAllocator::create(CategorySet::span(0, 1023));
//   for (const McsPair& p : pairs_in_use) alloc->reserve(p);
//   std::optional<McsPair> pair = alloc->allocate();  // nullopt: exhausted
//
// Thread-safety: none; callers serialize access (the registry holds a lock).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "svirt/context.h"
#include "svirt/result.h"

namespace svirt::internal {

// Two distinct categories, c1 < c2.
struct McsPair {
  int c1 = 0;
  int c2 = 0;

  bool operator==(const McsPair&) const = default;
  // "cA,cB".
  std::string format() const;
  // Exactly two distinct categories "cA,cB", in either order; stored sorted.
  static Result<McsPair> parse(std::string_view text);
  CategorySet categories() const;
};

class McsAllocator {
 public:
  // Pairs are drawn from the categories of `pool`, which need not be
  // contiguous. Fewer than 8 categories is kInvalidInput. Seeded from
  // getrandom().
  static Result<McsAllocator> create(const CategorySet& pool);
  // Same, with a fixed seed so tests can reproduce a sequence.
  static Result<McsAllocator> create(const CategorySet& pool, uint64_t seed);

  // A uniformly random free pair, now taken; nullopt when none is free.
  std::optional<McsPair> allocate();
  // Marks `p` taken; false if already taken or not made of pool categories.
  bool reserve(McsPair p);
  // Marks `p` free; false if it was not taken.
  bool release(McsPair p);
  bool is_taken(McsPair p) const;

  uint64_t capacity() const { return capacity_; }
  uint64_t used() const { return used_; }

 private:
  McsAllocator(std::vector<int> categories, uint64_t seed);

  // Index of a pair of pool positions i < j, and back.
  static uint32_t pair_index(uint32_t i, uint32_t j);
  McsPair pair_at(uint32_t index) const;
  // Pair index of a valid pool pair, nullopt otherwise.
  std::optional<uint32_t> index_of(McsPair p) const;

  uint32_t pair_in_slot(uint32_t slot) const;
  uint32_t slot_of_pair(uint32_t index) const;
  void swap_slots(uint32_t a, uint32_t b);

  std::vector<int> categories_;    // pool categories, ascending
  std::vector<int16_t> position_;  // category -> index in categories_, -1 if absent
  uint32_t capacity_ = 0;
  uint32_t used_ = 0;  // slots [0, used_) hold the taken pairs
  // Sparse permutation: entries only where slot != pair index.
  std::unordered_map<uint32_t, uint32_t> slot_to_pair_;
  std::unordered_map<uint32_t, uint32_t> pair_to_slot_;
  std::mt19937_64 rng_;
};

}  // namespace svirt::internal
