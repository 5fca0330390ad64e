// SPDX-License-Identifier: LGPL-2.1-or-later
//
// CRC-32C (Castagnoli), the checksum of each journal record: it tells a
// record a crash cut short, or one whose bytes changed, from a whole one.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>

namespace svirt::internal {

uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace svirt::internal
