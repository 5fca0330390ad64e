// SPDX-License-Identifier: LGPL-2.1-or-later
//
// <memoryBacking>: hugepages and the memory source, which decide the host
// directories QEMU maps guest RAM from.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Bytes per unit, with libvirt's spelling: b/byte/bytes; k, KiB (1024^n) or
// KB (1000^n) for each of k m g t p e, case-insensitive; absent: KiB.
std::optional<std::uint64_t> unit_scale(std::string_view unit) {
  if (unit.empty()) return 1024;
  if (iequal(unit, "b") || iequal(unit, "byte") || iequal(unit, "bytes")) return 1;
  static constexpr std::string_view kPrefixes = "kmgtpe";
  std::size_t power = kPrefixes.find(lower(unit[0]));
  if (power == std::string_view::npos) return std::nullopt;
  std::uint64_t base;
  std::string_view rest = unit.substr(1);
  if (rest.empty() || iequal(rest, "ib")) {
    base = 1024;
  } else if (iequal(rest, "b")) {
    base = 1000;
  } else {
    return std::nullopt;
  }
  std::uint64_t scale = 1;
  for (std::size_t i = 0; i <= power; ++i) scale *= base;
  return scale;
}

Result<std::uint64_t> page_size_kib(const xmlNode* page) {
  const std::string who = "memoryBacking: <hugepages><page>";
  std::optional<std::string> size = attr(page, "size");
  if (!size) return invalid(who + ": missing size=");
  std::string unit = attr(page, "unit").value_or("");
  std::optional<std::uint64_t> scale = unit_scale(unit);
  if (!scale) return invalid(who + ": unit " + quoted(unit) + " is not a size unit");
  if (size->empty()) return invalid(who + ": size '' is not a number");
  std::uint64_t value = 0;
  for (char c : *size) {
    if (c < '0' || c > '9') return invalid(who + ": size " + quoted(*size) + " is not a number");
    if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10)
      return invalid(who + ": size " + quoted(*size) + " is out of range");
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value == 0) return invalid(who + ": size must be positive");
  if (value > std::numeric_limits<std::uint64_t>::max() / *scale)
    return invalid(who + ": size " + quoted(*size + " " + unit) + " is out of range");
  // libvirt keeps page sizes in KiB, rounding up.
  return (value * *scale + 1023) / 1024;
}

// A NUMA node set as libvirt writes one: "0", "0-3", "0-3,^2", ...
bool is_node_set(std::string_view s) {
  if (s.empty()) return false;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9')
      digit = true;
    else if (c != ',' && c != '-' && c != '^' && c != ' ')
      return false;
  }
  return digit;
}

}  // namespace

Result<MemoryBacking> parse_memory_backing(const xmlNode* node) {
  MemoryBacking mb;
  if (node == nullptr) return mb;
  if (const xmlNode* huge = first_child(node, "hugepages")) {
    mb.hugepages = true;
    for (const xmlNode* page : children_named(huge, "page")) {
      HugePage p;
      Result<std::uint64_t> kib = page_size_kib(page);
      if (!kib) return kib.error();
      p.size_kib = *kib;
      if (std::optional<std::string> nodes = attr(page, "nodeset")) {
        if (!is_node_set(*nodes)) {
          return invalid("memoryBacking: <hugepages><page nodeset=" + quoted(*nodes) +
                         ">: not a node set");
        }
        p.nodeset = *nodes;
      }
      mb.pages.push_back(std::move(p));
    }
  }
  if (const xmlNode* source = first_child(node, "source")) {
    mb.source_type = attr(source, "type").value_or("");
    if (mb.source_type != "file" && mb.source_type != "anonymous" && mb.source_type != "memfd") {
      return invalid("memoryBacking: <source type=" + quoted(mb.source_type) +
                     ">: must be 'file', 'anonymous' or 'memfd'");
    }
  }
  return mb;
}

}  // namespace svirt::internal
