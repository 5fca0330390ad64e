// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MCS category-pair allocator: hands out distinct unordered pairs {cA, cB} of
// a category pool, uniformly at random among the free ones.
//
// A pair is free when it is neither taken (allocate, reserve) nor excluded
// (exclude: every pair a live label's categories dominate or are dominated
// by, see docs/mcs.md). Pairs are bits of a triangular matrix, one row per
// pool category, and a Fenwick tree over the rows' free counts finds the k-th
// free pair: allocate, reserve and release cost O(log n + n/64) for a pool of
// n categories at any fill level, never retrying random picks, and exclude
// costs O(k n/64) for a set of k pool categories, so a label holding the
// whole c0.c1023 space takes all 523776 pairs out at once. The matrix takes
// n * n / 4 bytes (256 KiB for c0.c1023).
//
//   auto alloc = McsAllocator::create(CategorySet::span(0, 1023));
//   for (const McsPair& p : pairs_in_use) alloc->reserve(p);
//   alloc->exclude(static_label_categories);
//   std::optional<McsPair> pair = alloc->allocate();  // nullopt: exhausted
//
// Thread-safety: none; callers serialize access (the registry holds a lock).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
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
  // Marks `p` taken; false if already taken or excluded, or not made of pool
  // categories.
  bool reserve(McsPair p);
  // Marks `p` free; false if it was not taken. An excluded pair stays out of
  // the draw.
  bool release(McsPair p);
  // Taken or excluded.
  bool is_taken(McsPair p) const;

  // Takes out of the draw, for the allocator's lifetime, every pool pair P
  // with P ⊆ `live` or `live` ⊆ P: the pairs a label with categories `live`
  // dominates or is dominated by. An empty set is dominated by every pair,
  // a single category by every pair holding it.
  void exclude(const CategorySet& live);
  // How many pool pairs exclude(`live`) takes out, on its own.
  uint64_t related_pairs(const CategorySet& live) const;

  uint64_t capacity() const { return capacity_; }
  // Pairs not free: taken or excluded.
  uint64_t used() const { return capacity_ - free_; }
  const CategorySet& pool() const { return pool_; }

 private:
  McsAllocator(const CategorySet& pool, uint64_t seed);

  // Pool positions of `p` (i < j), nullopt when it is not a pair of the pool.
  std::optional<std::pair<uint32_t, uint32_t>> positions_of(McsPair p) const;
  uint64_t& word(std::vector<uint64_t>& m, uint32_t i, uint32_t j) {
    return m[static_cast<size_t>(i) * words_ + j / 64];
  }
  bool bit(const std::vector<uint64_t>& m, uint32_t i, uint32_t j) const {
    return (m[static_cast<size_t>(i) * words_ + j / 64] >> (j % 64)) & 1U;
  }
  // Free pairs (i, j) of row i, j > i, counted from the bits.
  uint32_t count_row(uint32_t i) const;
  void rebuild_counts();
  void add_to_row(uint32_t i, int delta);
  // The row holding the k-th free pair (0-based), and k within that row.
  uint32_t find_row(uint64_t& k) const;

  CategorySet pool_;
  std::vector<int> categories_;    // pool categories, ascending
  std::vector<int16_t> position_;  // category -> index in categories_, -1 if absent
  uint32_t n_ = 0;
  uint32_t words_ = 0;  // 64-bit words per row
  uint64_t capacity_ = 0;
  uint64_t free_ = 0;
  // Row i, bit j (j > i): pair (i, j) of pool positions.
  std::vector<uint64_t> taken_;
  std::vector<uint64_t> excluded_;
  std::vector<uint32_t> row_free_;  // free pairs per row
  std::vector<uint64_t> tree_;      // Fenwick tree over row_free_, 1-based
  std::mt19937_64 rng_;
};

}  // namespace svirt::internal
