// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a qcow2 or QED image header says about the image's backing file.
//
// A disk image that QEMU opens may name another image it reads through; a
// guest that controls an image's bytes would control that name, which is why
// only an image whose format the domain XML states is ever parsed (svirt
// never guesses a format from the bytes). The parser is written for hostile
// input: it reads at most kMaxImageHeaderBytes, checks every offset and length
// against what it read before using it, and never loops more than the bytes
// allow.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "svirt/result.h"

namespace svirt::internal {

// No qcow2 or QED header with its backing name and extensions needs more.
inline constexpr std::size_t kMaxImageHeaderBytes = 64 * 1024;
// QEMU refuses longer backing names in qcow2 images.
inline constexpr std::size_t kMaxBackingNameBytes = 1023;

struct ImageHeader {
  std::string backing;         // "" when the image has no backing file
  std::string backing_format;  // "" when the image does not record it
  // False when the bytes do not start with the format's magic: not an image
  // of that format at all, which QEMU refuses to open as one. Nothing is
  // read from it.
  bool matches = true;
};

// Whether the parser knows `format` ("qcow2", "qed"). Any other format has no
// header svirt reads: raw, and everything svirt does not parse, end a chain.
[[nodiscard]] bool has_backing_header(std::string_view format);

// Parses the first bytes of an image of the declared `format`. `who` names
// the image in errors. A header of that format that is cut short, holds an
// offset or length outside the bytes, or a backing name that is too long or
// holds a NUL, a control character or bytes that are not UTF-8:
// kInvalidInput.
[[nodiscard]] Result<ImageHeader> parse_image_header(std::span<const std::uint8_t> bytes,
                                                     std::string_view format,
                                                     const std::string& who);

// Reads up to kMaxImageHeaderBytes from the start of the open `fd` and parses
// them as above.
[[nodiscard]] Result<ImageHeader> read_image_header(int fd, std::string_view format,
                                                    const std::string& who);

}  // namespace svirt::internal
