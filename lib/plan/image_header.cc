// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A qcow2/QED header parser that trusts no number in the header: each offset
// and length is checked against the bytes actually read before it is used,
// and every loop is bounded by those bytes. Field offsets are the ones the
// qcow2 and QED specifications give.
#include "plan/image_header.h"

#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/quote.h"

namespace svirt::internal {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint32_t kQcow2Magic = 0x514649fb;  // 'Q' 'F' 'I' 0xfb, big endian
constexpr std::size_t kQcow2V2HeaderBytes = 72;
constexpr std::size_t kQcow2V3HeaderBytes = 104;
constexpr std::uint32_t kExtEnd = 0;
constexpr std::uint32_t kExtBackingFormat = 0xE2792ACA;
// QEMU keeps a backing format name in 16 bytes, NUL included.
constexpr std::size_t kMaxFormatNameBytes = 15;
// QEMU's bounds on cluster_bits: 512 bytes to 2 MiB clusters.
constexpr std::uint32_t kMinClusterBits = 9, kMaxClusterBits = 21;

constexpr std::uint32_t kQedMagic = 0x00444551;  // "QED\0", little endian
constexpr std::size_t kQedHeaderBytes = 64;
constexpr std::uint64_t kQedBackingFile = 0x01;
constexpr std::uint64_t kQedBackingRaw = 0x04;
constexpr std::uint32_t kQedMinCluster = 4096, kQedMaxCluster = 64u * 1024 * 1024;

Error bad(const std::string& who, const std::string& what) {
  return make_error(ErrorCode::kInvalidInput, who + ": " + what);
}

std::uint64_t be(Bytes b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

std::uint64_t le(Bytes b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[at + i];
  return v;
}

// The `size` bytes at `offset` as a name, when they lie inside `limit` bytes
// of `b` and hold no NUL.
Result<std::string> name_at(Bytes b, std::uint64_t offset, std::uint64_t size, std::size_t limit,
                            std::size_t max, const std::string& who, const char* what) {
  if (size > max)
    return bad(who, std::string(what) + " of " + std::to_string(size) + " bytes (at most " +
                        std::to_string(max) + ")");
  limit = std::min(limit, b.size());
  if (offset > limit || size > limit - offset)
    return bad(who, std::string(what) + " at byte " + std::to_string(offset) +
                        " lies outside the header");
  std::string out(reinterpret_cast<const char*>(b.data() + offset), size);
  if (out.find('\0') != std::string::npos)
    return bad(who, std::string(what) + " holds a NUL byte");
  // The name goes into the live domain XML, which carries neither control
  // characters nor bytes that are not UTF-8.
  for (char c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return bad(who, std::string(what) + " holds a control character");
  if (!g_utf8_validate_len(out.data(), out.size(), nullptr))
    return bad(who, std::string(what) + " is not UTF-8");
  return out;
}

// The header extensions from `start` up to `end`: the backing format name,
// if recorded. Every extension is at least 8 bytes, so the loop ends.
Result<std::string> qcow2_backing_format(Bytes b, std::size_t start, std::size_t end,
                                         const std::string& who) {
  std::string format;
  std::size_t at = start;
  while (at + 8 <= end) {
    std::uint32_t type = static_cast<std::uint32_t>(be(b, at, 4));
    std::uint32_t len = static_cast<std::uint32_t>(be(b, at + 4, 4));
    if (type == kExtEnd) break;
    std::size_t data = at + 8;
    if (len > end - data)
      return bad(who, "header extension at byte " + std::to_string(at) + " runs past the header");
    if (type == kExtBackingFormat) {
      auto f = name_at(b, data, len, end, kMaxFormatNameBytes, who, "backing format name");
      if (!f) return std::move(f).error();
      if (f->empty()) return bad(who, "empty backing format name");
      format = std::move(*f);
    }
    std::size_t padded = (static_cast<std::size_t>(len) + 7) & ~std::size_t{7};
    if (padded > end - data) break;  // the last extension's padding may be cut
    at = data + padded;
  }
  return format;
}

Result<ImageHeader> parse_qcow2(Bytes b, const std::string& who) {
  if (b.size() < 4 || be(b, 0, 4) != kQcow2Magic) return ImageHeader{{}, {}, false};
  if (b.size() < kQcow2V2HeaderBytes) return bad(who, "qcow2 header cut short");
  const std::uint64_t version = be(b, 4, 4);
  if (version != 2 && version != 3)
    return bad(who, "qcow2 version " + std::to_string(version) + " (known: 2, 3)");
  const std::uint64_t cluster_bits = be(b, 20, 4);
  if (cluster_bits < kMinClusterBits || cluster_bits > kMaxClusterBits)
    return bad(who, "qcow2 cluster_bits " + std::to_string(cluster_bits) + " out of range");
  // Extensions and the backing name live in the first cluster.
  const std::size_t cluster = std::size_t{1} << cluster_bits;
  const std::size_t limit = std::min(cluster, b.size());

  std::size_t ext_start = kQcow2V2HeaderBytes;
  if (version == 3) {
    if (b.size() < kQcow2V3HeaderBytes) return bad(who, "qcow2 v3 header cut short");
    const std::uint64_t header_length = be(b, 100, 4);
    if (header_length < kQcow2V3HeaderBytes || header_length > limit)
      return bad(who, "qcow2 header_length " + std::to_string(header_length) + " out of range");
    ext_start = static_cast<std::size_t>(header_length);
  }

  ImageHeader h;
  const std::uint64_t offset = be(b, 8, 8);
  const std::uint64_t size = be(b, 16, 4);
  std::size_t ext_end = limit;
  if (offset != 0 && size != 0) {
    if (offset < ext_start)
      return bad(who, "qcow2 backing file name at byte " + std::to_string(offset) +
                          " overlaps the header");
    auto name = name_at(b, offset, size, limit, kMaxBackingNameBytes, who, "backing file name");
    if (!name) return std::move(name).error();
    h.backing = std::move(*name);
    ext_end = static_cast<std::size_t>(offset);  // the extensions come before the name
  }
  auto format = qcow2_backing_format(b, ext_start, ext_end, who);
  if (!format) return std::move(format).error();
  if (!h.backing.empty()) h.backing_format = std::move(*format);
  return h;
}

Result<ImageHeader> parse_qed(Bytes b, const std::string& who) {
  if (b.size() < 4 || le(b, 0, 4) != kQedMagic) return ImageHeader{{}, {}, false};
  if (b.size() < kQedHeaderBytes) return bad(who, "QED header cut short");
  const std::uint64_t cluster = le(b, 4, 4);
  if (cluster < kQedMinCluster || cluster > kQedMaxCluster || (cluster & (cluster - 1)) != 0)
    return bad(who, "QED cluster_size " + std::to_string(cluster) + " out of range");
  const std::uint64_t header_clusters = le(b, 12, 4);
  if (header_clusters == 0) return bad(who, "QED header_size 0");
  const std::uint64_t features = le(b, 16, 8);
  ImageHeader h;
  if ((features & kQedBackingFile) == 0) return h;
  // header_size counts clusters; the name lies inside the header, and inside
  // what was read.
  const std::uint64_t header_bytes = header_clusters * cluster;  // both < 2^32: no overflow
  const std::size_t limit =
      header_bytes < b.size() ? static_cast<std::size_t>(header_bytes) : b.size();
  const std::uint64_t offset = le(b, 56, 4);
  const std::uint64_t size = le(b, 60, 4);
  if (offset < kQedHeaderBytes)
    return bad(who, "QED backing file name at byte " + std::to_string(offset) +
                        " overlaps the header");
  auto name = name_at(b, offset, size, limit, kMaxBackingNameBytes, who, "backing file name");
  if (!name) return std::move(name).error();
  if (name->empty()) return bad(who, "QED image with an empty backing file name");
  h.backing = std::move(*name);
  if ((features & kQedBackingRaw) != 0) h.backing_format = "raw";
  return h;
}

}  // namespace

bool has_backing_header(std::string_view format) { return format == "qcow2" || format == "qed"; }

Result<ImageHeader> parse_image_header(Bytes bytes, std::string_view format,
                                       const std::string& who) {
  if (bytes.size() > kMaxImageHeaderBytes) bytes = bytes.first(kMaxImageHeaderBytes);
  if (format == "qcow2") return parse_qcow2(bytes, who);
  if (format == "qed") return parse_qed(bytes, who);
  return ImageHeader{};
}

Result<ImageHeader> read_image_header(int fd, std::string_view format, const std::string& who) {
  std::vector<std::uint8_t> buf(kMaxImageHeaderBytes);
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kOperationFailed, who + ": cannot read header", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return parse_image_header(Bytes(buf.data(), got), format, who);
}

}  // namespace svirt::internal
