// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mcs/mcs_allocator.h"

#include <sys/random.h>

#include <cerrno>
#include <cmath>
#include <utility>

namespace svirt::internal {
namespace {

constexpr int kMinPoolCategories = 8;

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
  return McsAllocator(pool.to_vector(), seed);
}

McsAllocator::McsAllocator(std::vector<int> categories, uint64_t seed)
    : categories_(std::move(categories)), position_(CategorySet::kMaxCategories, -1), rng_(seed) {
  for (size_t i = 0; i < categories_.size(); ++i) {
    position_[categories_[i]] = static_cast<int16_t>(i);
  }
  auto n = static_cast<uint32_t>(categories_.size());
  capacity_ = n * (n - 1) / 2;
}

// Pairs are numbered column by column: (0,1), (0,2), (1,2), (0,3), ... so the
// index of (i, j) is j(j-1)/2 + i, independent of the pool size.
uint32_t McsAllocator::pair_index(uint32_t i, uint32_t j) { return j * (j - 1) / 2 + i; }

McsPair McsAllocator::pair_at(uint32_t index) const {
  // j is the largest with j(j-1)/2 <= index; the float estimate can be off by
  // one either way near perfect squares, so nudge it.
  auto j = static_cast<uint32_t>((1.0 + std::sqrt(1.0 + 8.0 * index)) / 2.0);
  while (j * (j - 1) / 2 > index) --j;
  while ((j + 1) * j / 2 <= index) ++j;
  uint32_t i = index - j * (j - 1) / 2;
  return McsPair{categories_[i], categories_[j]};
}

std::optional<uint32_t> McsAllocator::index_of(McsPair p) const {
  if (p.c1 >= p.c2 || p.c1 < 0 || p.c2 >= CategorySet::kMaxCategories) return std::nullopt;
  int i = position_[p.c1];
  int j = position_[p.c2];
  if (i < 0 || j < 0) return std::nullopt;
  return pair_index(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
}

uint32_t McsAllocator::pair_in_slot(uint32_t slot) const {
  auto it = slot_to_pair_.find(slot);
  return it == slot_to_pair_.end() ? slot : it->second;
}

uint32_t McsAllocator::slot_of_pair(uint32_t index) const {
  auto it = pair_to_slot_.find(index);
  return it == pair_to_slot_.end() ? index : it->second;
}

void McsAllocator::swap_slots(uint32_t a, uint32_t b) {
  if (a == b) return;
  uint32_t pa = pair_in_slot(a);
  uint32_t pb = pair_in_slot(b);
  // Identity entries are dropped so the maps only grow with real disorder.
  auto put = [this](uint32_t slot, uint32_t pair) {
    if (slot == pair) {
      slot_to_pair_.erase(slot);
      pair_to_slot_.erase(pair);
    } else {
      slot_to_pair_[slot] = pair;
      pair_to_slot_[pair] = slot;
    }
  };
  put(a, pb);
  put(b, pa);
}

std::optional<McsPair> McsAllocator::allocate() {
  if (used_ == capacity_) return std::nullopt;
  std::uniform_int_distribution<uint32_t> pick(used_, capacity_ - 1);
  uint32_t slot = pick(rng_);
  swap_slots(slot, used_);
  McsPair p = pair_at(pair_in_slot(used_));
  ++used_;
  return p;
}

bool McsAllocator::reserve(McsPair p) {
  auto index = index_of(p);
  if (!index) return false;
  uint32_t slot = slot_of_pair(*index);
  if (slot < used_) return false;
  swap_slots(slot, used_);
  ++used_;
  return true;
}

bool McsAllocator::release(McsPair p) {
  auto index = index_of(p);
  if (!index) return false;
  uint32_t slot = slot_of_pair(*index);
  if (slot >= used_) return false;
  --used_;
  swap_slots(slot, used_);
  return true;
}

bool McsAllocator::is_taken(McsPair p) const {
  auto index = index_of(p);
  return index && slot_of_pair(*index) < used_;
}

}  // namespace svirt::internal
