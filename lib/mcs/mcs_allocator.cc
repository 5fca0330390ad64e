// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mcs/mcs_allocator.h"

#include <sys/random.h>

#include <bit>
#include <cerrno>
#include <utility>

namespace svirt::internal {
namespace {

constexpr int kMinPoolCategories = 8;

// Bits of 64-bit word `w` of a row that stand for positions lo..hi
// (inclusive); 0 when the word holds none of them.
uint64_t span_bits(uint32_t w, uint32_t lo, uint32_t hi) {
  uint32_t first = w * 64, last = first + 63;
  if (hi < lo || hi < first || lo > last) return 0;
  uint32_t a = lo > first ? lo - first : 0;
  uint32_t b = hi < last ? hi - first : 63;
  uint64_t upto_b = b == 63 ? ~uint64_t{0} : (uint64_t{1} << (b + 1)) - 1;
  return upto_b & ~((uint64_t{1} << a) - 1);
}

// Position of the k-th (0-based) set bit of `bits`, which has more than k.
uint32_t select_bit(uint64_t bits, uint32_t k) {
  for (; k > 0; --k) bits &= bits - 1;
  return static_cast<uint32_t>(std::countr_zero(bits));
}

// A fresh seed per allocator so separate processes do not walk the same pair
// sequence. getrandom() only fails on kernels older than 3.17; fall back to
// std::random_device there.
uint64_t random_seed() {
  uint64_t seed = 0;
  auto* p = reinterpret_cast<unsigned char*>(&seed);
  size_t got = 0;
  while (got < sizeof seed) {
    ssize_t n = getrandom(p + got, sizeof seed - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::random_device rd;
      return (static_cast<uint64_t>(rd()) << 32) ^ rd();
    }
    got += static_cast<size_t>(n);
  }
  return seed;
}

}  // namespace

// ---- McsPair ----

std::string McsPair::format() const { return "c" + std::to_string(c1) + ",c" + std::to_string(c2); }

Result<McsPair> McsPair::parse(std::string_view text) {
  auto fail = [text] {
    return make_error(ErrorCode::kInvalidInput, "invalid MCS pair '" + std::string(text) +
                                                    "': expected two distinct categories cA,cB");
  };
  // Spans ("c1.c2") are valid category sets but not the way a pair is written.
  if (text.find('.') != std::string_view::npos) return fail();
  size_t comma = text.find(',');
  if (comma == std::string_view::npos || text.find(',', comma + 1) != std::string_view::npos) {
    return fail();
  }
  auto set = CategorySet::parse(text);
  if (!set) {
    return make_error(ErrorCode::kInvalidInput,
                      "invalid MCS pair '" + std::string(text) + "': " + set.error().message);
  }
  std::vector<int> cats = set->to_vector();
  if (cats.size() != 2) return fail();
  return McsPair{cats[0], cats[1]};
}

CategorySet McsPair::categories() const {
  CategorySet set;
  set.add(c1);
  set.add(c2);
  return set;
}

// ---- McsAllocator ----

Result<McsAllocator> McsAllocator::create(const CategorySet& pool) {
  return create(pool, random_seed());
}

Result<McsAllocator> McsAllocator::create(const CategorySet& pool, uint64_t seed) {
  if (pool.size() < kMinPoolCategories) {
    return make_error(ErrorCode::kInvalidInput, "MCS category pool '" + pool.format() + "' has " +
                                                    std::to_string(pool.size()) +
                                                    " categories, need at least " +
                                                    std::to_string(kMinPoolCategories));
  }
  return McsAllocator(pool, seed);
}

McsAllocator::McsAllocator(const CategorySet& pool, uint64_t seed)
    : pool_(pool),
      categories_(pool.to_vector()),
      position_(CategorySet::kMaxCategories, -1),
      rng_(seed) {
  for (size_t i = 0; i < categories_.size(); ++i) {
    position_[categories_[i]] = static_cast<int16_t>(i);
  }
  n_ = static_cast<uint32_t>(categories_.size());
  words_ = (n_ + 63) / 64;
  capacity_ = uint64_t{n_} * (n_ - 1) / 2;
  taken_.assign(static_cast<size_t>(n_) * words_, 0);
  excluded_.assign(taken_.size(), 0);
  row_free_.assign(n_, 0);
  rebuild_counts();
}

std::optional<std::pair<uint32_t, uint32_t>> McsAllocator::positions_of(McsPair p) const {
  if (p.c1 >= p.c2 || p.c1 < 0 || p.c2 >= CategorySet::kMaxCategories) return std::nullopt;
  int i = position_[p.c1];
  int j = position_[p.c2];
  if (i < 0 || j < 0) return std::nullopt;
  return std::pair{static_cast<uint32_t>(i), static_cast<uint32_t>(j)};
}

uint32_t McsAllocator::count_row(uint32_t i) const {
  uint32_t n = 0;
  const size_t base = static_cast<size_t>(i) * words_;
  for (uint32_t w = i / 64; w < words_; ++w) {
    uint64_t out = taken_[base + w] | excluded_[base + w];
    n += static_cast<uint32_t>(std::popcount(span_bits(w, i + 1, n_ - 1) & ~out));
  }
  return n;
}

void McsAllocator::rebuild_counts() {
  free_ = 0;
  tree_.assign(n_ + 1, 0);
  for (uint32_t i = 0; i < n_; ++i) {
    row_free_[i] = count_row(i);
    free_ += row_free_[i];
    tree_[i + 1] = row_free_[i];
  }
  // Fenwick construction in place: each node passes its sum to its parent.
  for (uint32_t k = 1; k <= n_; ++k) {
    uint32_t parent = k + (k & (~k + 1));
    if (parent <= n_) tree_[parent] += tree_[k];
  }
}

void McsAllocator::add_to_row(uint32_t i, int delta) {
  row_free_[i] = static_cast<uint32_t>(static_cast<int64_t>(row_free_[i]) + delta);
  free_ = static_cast<uint64_t>(static_cast<int64_t>(free_) + delta);
  for (uint32_t k = i + 1; k <= n_; k += k & (~k + 1))
    tree_[k] = static_cast<uint64_t>(static_cast<int64_t>(tree_[k]) + delta);
}

uint32_t McsAllocator::find_row(uint64_t& k) const {
  uint32_t pos = 0;
  for (uint32_t step = std::bit_floor(n_); step > 0; step /= 2) {
    if (pos + step <= n_ && tree_[pos + step] <= k) {
      pos += step;
      k -= tree_[pos];
    }
  }
  return pos;  // 1-based node pos + 1 is row pos
}

std::optional<McsPair> McsAllocator::allocate() {
  if (free_ == 0) return std::nullopt;
  std::uniform_int_distribution<uint64_t> pick(0, free_ - 1);
  uint64_t k = pick(rng_);
  uint32_t i = find_row(k);
  const size_t base = static_cast<size_t>(i) * words_;
  for (uint32_t w = i / 64; w < words_; ++w) {
    uint64_t bits = span_bits(w, i + 1, n_ - 1) & ~(taken_[base + w] | excluded_[base + w]);
    auto count = static_cast<uint64_t>(std::popcount(bits));
    if (k >= count) {
      k -= count;
      continue;
    }
    uint32_t j = w * 64 + select_bit(bits, static_cast<uint32_t>(k));
    taken_[base + w] |= uint64_t{1} << (j % 64);
    add_to_row(i, -1);
    return McsPair{categories_[i], categories_[j]};
  }
  return std::nullopt;  // unreachable while the counts match the bits
}

bool McsAllocator::reserve(McsPair p) {
  auto pos = positions_of(p);
  if (!pos) return false;
  auto [i, j] = *pos;
  if (bit(taken_, i, j) || bit(excluded_, i, j)) return false;
  word(taken_, i, j) |= uint64_t{1} << (j % 64);
  add_to_row(i, -1);
  return true;
}

bool McsAllocator::release(McsPair p) {
  auto pos = positions_of(p);
  if (!pos) return false;
  auto [i, j] = *pos;
  if (!bit(taken_, i, j)) return false;
  word(taken_, i, j) &= ~(uint64_t{1} << (j % 64));
  if (!bit(excluded_, i, j)) add_to_row(i, +1);
  return true;
}

bool McsAllocator::is_taken(McsPair p) const {
  auto pos = positions_of(p);
  return pos && (bit(taken_, pos->first, pos->second) || bit(excluded_, pos->first, pos->second));
}

void McsAllocator::exclude(const CategorySet& live) {
  std::vector<uint32_t> in_pool;
  std::vector<uint64_t> mask(words_, 0);
  for (int c : live.to_vector()) {
    if (position_[c] < 0) continue;
    auto p = static_cast<uint32_t>(position_[c]);
    in_pool.push_back(p);
    mask[p / 64] |= uint64_t{1} << (p % 64);
  }
  auto row_or = [this](uint32_t i, auto&& bits_of_word) {
    const size_t base = static_cast<size_t>(i) * words_;
    for (uint32_t w = i / 64; w < words_; ++w)
      excluded_[base + w] |= bits_of_word(w) & span_bits(w, i + 1, n_ - 1);
  };
  auto all = [](uint32_t) { return ~uint64_t{0}; };
  if (live.empty()) {
    // Every pair dominates the empty set.
    for (uint32_t i = 0; i < n_; ++i) row_or(i, all);
  } else if (live.size() == 1 && in_pool.size() == 1) {
    // Every pair holding the category dominates it.
    uint32_t p = in_pool[0];
    row_or(p, all);
    for (uint32_t i = 0; i < p; ++i)
      excluded_[static_cast<size_t>(i) * words_ + p / 64] |= uint64_t{1} << (p % 64);
  }
  // The pairs the set dominates: both categories in it.
  for (uint32_t i : in_pool) row_or(i, [&mask](uint32_t w) { return mask[w]; });
  rebuild_counts();
}

uint64_t McsAllocator::related_pairs(const CategorySet& live) const {
  if (live.empty()) return capacity_;
  uint64_t k = 0;
  for (int c : live.to_vector())
    if (position_[c] >= 0) ++k;
  if (live.size() == 1) return k == 1 ? n_ - 1 : 0;
  return k * (k - 1) / 2;
}

}  // namespace svirt::internal
