// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Writes qcow2 (v2, v3) and QED headers the way the specifications lay them
// out, so the chain tests need no qemu-img. Only the fields svirt reads are
// filled in; the rest of the image is zeros.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace svirt::testing {

using Image = std::vector<std::uint8_t>;

inline void put_be(Image& b, std::size_t at, std::uint64_t v, int n) {
  if (b.size() < at + n) b.resize(at + n);
  for (int i = n - 1; i >= 0; --i, v >>= 8) b[at + i] = static_cast<std::uint8_t>(v);
}

inline void put_le(Image& b, std::size_t at, std::uint64_t v, int n) {
  if (b.size() < at + n) b.resize(at + n);
  for (int i = 0; i < n; ++i, v >>= 8) b[at + i] = static_cast<std::uint8_t>(v);
}

inline void put_bytes(Image& b, std::size_t at, const std::string& s) {
  if (b.size() < at + s.size()) b.resize(at + s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[at + i] = static_cast<std::uint8_t>(s[i]);
}

struct Qcow2Spec {
  int version = 3;
  std::string backing;         // "" = none
  std::string backing_format;  // "" = no backing format extension
  int cluster_bits = 16;
};

// A qcow2 header: the v2 fields, for v3 header_length 104, then the
// extensions (backing format, end marker), then the backing name.
inline Image qcow2_image(const Qcow2Spec& s) {
  Image b(512, 0);
  put_be(b, 0, 0x514649fb, 4);
  put_be(b, 4, s.version, 4);
  put_be(b, 20, s.cluster_bits, 4);
  put_be(b, 24, 1 << 20, 8);  // virtual size
  std::size_t at = 72;
  if (s.version == 3) {
    put_be(b, 96, 4, 4);    // refcount_order
    put_be(b, 100, 104, 4);  // header_length
    at = 104;
  }
  if (!s.backing_format.empty()) {
    put_be(b, at, 0xE2792ACA, 4);
    put_be(b, at + 4, s.backing_format.size(), 4);
    put_bytes(b, at + 8, s.backing_format);
    at += 8 + ((s.backing_format.size() + 7) & ~std::size_t{7});
  }
  put_be(b, at, 0, 8);  // end of extensions
  at += 8;
  if (!s.backing.empty()) {
    put_be(b, 8, at, 8);
    put_be(b, 16, s.backing.size(), 4);
    put_bytes(b, at, s.backing);
  }
  if (b.size() < 512) b.resize(512);
  return b;
}

struct QedSpec {
  std::string backing;
  bool backing_raw = false;  // QED_F_BACKING_FORMAT_NO_PROBE
};

inline Image qed_image(const QedSpec& s) {
  Image b(4096, 0);
  put_le(b, 0, 0x00444551, 4);
  put_le(b, 4, 65536, 4);  // cluster_size
  put_le(b, 8, 4, 4);      // table_size
  put_le(b, 12, 1, 4);     // header_size, in clusters
  std::uint64_t features = 0;
  if (!s.backing.empty()) {
    features |= 0x01;
    if (s.backing_raw) features |= 0x04;
    put_le(b, 56, 64, 4);
    put_le(b, 60, s.backing.size(), 4);
    put_bytes(b, 64, s.backing);
  }
  put_le(b, 16, features, 8);
  put_le(b, 48, 1 << 20, 8);  // image_size
  return b;
}

inline void write_image(const std::string& path, const Image& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                               static_cast<std::streamsize>(b.size()));
}

}  // namespace svirt::testing
