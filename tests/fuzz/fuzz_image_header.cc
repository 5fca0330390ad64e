// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The qcow2/QED header parser under libFuzzer. The header bytes come from
// whoever wrote the image; the parser must never read past them and must
// hand the planner only names a domain XML can carry.
//
// The first input byte picks the declared format (even: qcow2, odd: qed);
// the rest is the start of the image. Properties, for every input:
//   - a refusal is one line naming the image;
//   - an accepted backing name is at most 1023 bytes, UTF-8, with no NUL or
//     control character, and a backing format only comes with a name;
//   - bytes past kMaxImageHeaderBytes change nothing;
//   - a header without the format's magic yields nothing;
//   - raw is never parsed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "plan/image_header.h"

namespace {

using svirt::fuzz::check;
using svirt::internal::ImageHeader;
using svirt::internal::kMaxBackingNameBytes;
using svirt::internal::kMaxImageHeaderBytes;
using svirt::internal::parse_image_header;

std::string as_text(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), std::min<std::size_t>(b.size(), 256));
}

void check_name(const std::string& name, std::size_t max, const std::string& input) {
  check(name.size() <= max, "name longer than the bound", input, name);
  for (char c : name)
    check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "name holds a control character",
          input, name);
}

bool same(const svirt::Result<ImageHeader>& a, const svirt::Result<ImageHeader>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a) return a.error().message == b.error().message;
  return a->backing == b->backing && a->backing_format == b->backing_format &&
         a->matches == b->matches;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const char* format = (data[0] & 1) != 0 ? "qed" : "qcow2";
  std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const std::string input = std::string(format) + ": " + as_text(bytes);

  auto h = parse_image_header(bytes, format, "'img'");
  if (!h) {
    const std::string& m = h.error().message;
    check(m.find('\n') == std::string::npos && m.find('\r') == std::string::npos,
          "refusal is not one line", input, m);
    check(m.rfind("'img': ", 0) == 0, "refusal does not name the image", input, m);
  } else {
    check_name(h->backing, kMaxBackingNameBytes, input);
    check_name(h->backing_format, 15, input);
    check(h->backing.find('\0') == std::string::npos, "backing name holds a NUL", input);
    check(!h->backing_format.empty() ? !h->backing.empty() : true,
          "backing format without a backing name", input);
    check(h->matches || (h->backing.empty() && h->backing_format.empty()),
          "a header that does not match yields a name", input);
  }

  if (bytes.size() > kMaxImageHeaderBytes) {
    auto capped = parse_image_header(bytes.first(kMaxImageHeaderBytes), format, "'img'");
    check(same(h, capped), "bytes past the cap change the result", input);
  }

  auto raw = parse_image_header(bytes, "raw", "'img'");
  check(raw.ok() && raw->backing.empty(), "raw was parsed", input);
  return 0;
}
