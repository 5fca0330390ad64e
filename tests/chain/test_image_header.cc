// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The image header parser on crafted bytes: what each format records, and
// each way a hostile header is refused (one line naming the image) rather
// than read out of bounds.
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "image_writer.h"
#include "plan/image_header.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::internal;
using namespace svirt::testing;

namespace {

struct Case {
  const char* name;
  const char* format;
  std::function<Image()> bytes;
  const char* backing;  // expected; nullptr: an error containing `error`
  const char* backing_format;
  const char* error;
};

Image qcow2_with(const Qcow2Spec& s, const std::function<void(Image&)>& edit) {
  Image b = qcow2_image(s);
  edit(b);
  return b;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"qcow2 v2 without backing", "qcow2", [] { return qcow2_image({2, "", ""}); }, "", "", nullptr},
      {"qcow2 v2 with backing, no format", "qcow2",
       [] { return qcow2_image({2, "base.img", ""}); }, "base.img", "", nullptr},
      {"qcow2 v2 with backing format extension", "qcow2",
       [] { return qcow2_image({2, "/img/base.qcow2", "qcow2"}); }, "/img/base.qcow2", "qcow2",
       nullptr},
      {"qcow2 v3 with backing format extension", "qcow2",
       [] { return qcow2_image({3, "../base.raw", "raw"}); }, "../base.raw", "raw", nullptr},
      {"qcow2 v3 extension of another type first", "qcow2",
       [] {
         Qcow2Spec s{3, "b.qcow2", "qcow2"};
         Image b = qcow2_image(s);
         // Shift everything after the header by a 16-byte feature table
         // extension (type 0x6803f857, 5 bytes of data, padded to 8).
         Image out(b.begin(), b.begin() + 104);
         put_be(out, 104, 0x6803f857, 4);
         put_be(out, 108, 5, 4);
         out.resize(120);
         out.insert(out.end(), b.begin() + 104, b.end());
         put_be(out, 8, 104 + 16 + 16 + 8, 8);  // header, new extension, format extension, end
         return out;
       },
       "b.qcow2", "qcow2", nullptr},
      {"qed without backing", "qed", [] { return qed_image({}); }, "", "", nullptr},
      {"qed with backing, format probed by QEMU", "qed", [] { return qed_image({"base.qed"}); },
       "base.qed", "", nullptr},
      {"qed with raw backing (no probe)", "qed", [] { return qed_image({"base.raw", true}); },
       "base.raw", "raw", nullptr},
      {"raw is never parsed", "raw", [] { return qcow2_image({3, "/etc/shadow", "raw"}); }, "", "",
       nullptr},
      {"an undeclared format is never parsed", "", [] { return qcow2_image({3, "/x", "raw"}); },
       "", "", nullptr},
      {"qcow2 cut short", "qcow2", [] { return Image{'Q', 'F', 'I', 0xfb, 0, 0, 0, 3}; }, nullptr,
       nullptr, "qcow2 header cut short"},
      {"qed cut short", "qed", [] { return Image{'Q', 'E', 'D', 0, 0, 0, 1, 0}; }, nullptr,
       nullptr, "QED header cut short"},
      {"qcow2 version 4", "qcow2",
       [] { return qcow2_with({3, "", ""}, [](Image& b) { put_be(b, 4, 4, 4); }); }, nullptr,
       nullptr, "qcow2 version 4"},
      {"qcow2 v3 cut inside the v3 fields", "qcow2",
       [] {
         Image b = qcow2_image({3, "", ""});
         b.resize(90);
         return b;
       },
       nullptr, nullptr, "cut short"},
      {"qcow2 cluster_bits out of range", "qcow2",
       [] { return qcow2_with({3, "", ""}, [](Image& b) { put_be(b, 20, 40, 4); }); }, nullptr,
       nullptr, "cluster_bits 40"},
      {"qcow2 header_length past the cluster", "qcow2",
       [] { return qcow2_with({3, "", ""}, [](Image& b) { put_be(b, 100, 1u << 20, 4); }); },
       nullptr, nullptr, "header_length"},
      {"qcow2 backing offset past the bytes", "qcow2",
       [] {
         return qcow2_with({3, "base", ""},
                           [](Image& b) { put_be(b, 8, 0xffffffffffffff00ull, 8); });
       },
       nullptr, nullptr, "outside the header"},
      {"qcow2 backing offset inside the header", "qcow2",
       [] { return qcow2_with({3, "base", ""}, [](Image& b) { put_be(b, 8, 16, 8); }); }, nullptr,
       nullptr, "overlaps the header"},
      {"qcow2 backing size past the bytes", "qcow2",
       [] { return qcow2_with({3, "base", ""}, [](Image& b) { put_be(b, 16, 1000, 4); }); },
       nullptr, nullptr, "outside the header"},
      {"qcow2 backing name of 1024 bytes", "qcow2",
       [] { return qcow2_image({3, std::string(1024, 'a'), "raw"}); }, nullptr, nullptr,
       "1024 bytes (at most 1023)"},
      {"qcow2 backing name of 1023 bytes", "qcow2",
       [] { return qcow2_image({3, std::string(1023, 'a'), "raw"}); },
       "", "raw", nullptr},  // backing checked by length below
      {"qcow2 backing name with a NUL", "qcow2",
       [] { return qcow2_image({3, std::string("a\0b", 3), "raw"}); }, nullptr, nullptr,
       "NUL byte"},
      {"qcow2 backing name with a newline", "qcow2",
       [] { return qcow2_image({3, "a\nb", "raw"}); }, nullptr, nullptr, "control character"},
      {"qcow2 backing name not UTF-8", "qcow2",
       [] { return qcow2_image({3, "a\xff" "b", "raw"}); }, nullptr, nullptr, "not UTF-8"},
      {"qcow2 extension running past the name", "qcow2",
       [] {
         return qcow2_with({3, "base", "qcow2"}, [](Image& b) { put_be(b, 108, 4000, 4); });
       },
       nullptr, nullptr, "runs past the header"},
      {"qcow2 backing format name too long", "qcow2",
       [] { return qcow2_image({3, "base", std::string(16, 'f')}); }, nullptr, nullptr,
       "backing format name of 16 bytes"},
      {"qcow2 extension area without end marker", "qcow2",
       [] {
         // A v2 image whose extensions fill the cluster with unknown types.
         Image b = qcow2_image({2, "", "", 9});
         b.resize(512);
         for (std::size_t at = 72; at + 8 <= 512; at += 8) put_be(b, at, 0x12345678, 4);
         return b;
       },
       "", "", nullptr},
      {"qed cluster size not a power of two", "qed",
       [] {
         Image b = qed_image({"base"});
         put_le(b, 4, 65535, 4);
         return b;
       },
       nullptr, nullptr, "cluster_size 65535"},
      {"qed name past the header size", "qed",
       [] {
         Image b = qed_image({"base"});
         put_le(b, 56, 65534, 4);
         return b;
       },
       nullptr, nullptr, "outside the header"},
      {"qed empty backing name", "qed",
       [] {
         Image b = qed_image({"base"});
         put_le(b, 60, 0, 4);
         return b;
       },
       nullptr, nullptr, "empty backing file name"},
  };
  return c;
}

// Bytes without the declared format's magic are no image of that format:
// nothing is read from them (QEMU refuses to open them as one).
void test_other_bytes_do_not_match(void**) {
  struct {
    const char* format;
    Image bytes;
  } rows[] = {{"qcow2", qed_image({"x"})}, {"qed", qcow2_image({3, "x", "raw"})},
              {"qcow2", Image{'d', 'a', 't', 'a'}}, {"qed", Image{}}, {"qcow2", Image{'Q'}}};
  for (auto& r : rows) {
    auto h = parse_image_header(r.bytes, r.format, "'img'");
    assert_true(h.ok());
    assert_false(h->matches);
    assert_true(h->backing.empty());
  }
  auto q = parse_image_header(qcow2_image({3, "", ""}), "qcow2", "'img'");
  assert_true(q.ok() && q->matches);
}

void test_header_cases(void**) {
  int failures = 0;
  for (const Case& c : cases()) {
    Image b = c.bytes();
    auto h = parse_image_header(b, c.format, "'img'");
    if (c.backing == nullptr) {
      if (h) {
        std::fprintf(stderr, "%s: parsed, expected an error with \"%s\"\n", c.name, c.error);
        ++failures;
      } else if (std::strstr(h.error().message.c_str(), c.error) == nullptr ||
                 std::strchr(h.error().message.c_str(), '\n') != nullptr ||
                 std::strstr(h.error().message.c_str(), "'img'") == nullptr) {
        std::fprintf(stderr, "%s: error \"%s\" lacks \"%s\" or the image's name\n", c.name,
                     h.error().message.c_str(), c.error);
        ++failures;
      }
      continue;
    }
    if (!h) {
      std::fprintf(stderr, "%s: %s\n", c.name, h.error().message.c_str());
      ++failures;
      continue;
    }
    bool long_name = std::string(c.name).find("1023") != std::string::npos;
    bool backing_ok = long_name ? h->backing == std::string(1023, 'a') : h->backing == c.backing;
    if (!backing_ok || h->backing_format != c.backing_format) {
      std::fprintf(stderr, "%s: backing '%s' format '%s', want '%s' '%s'\n", c.name,
                   h->backing.c_str(), h->backing_format.c_str(), c.backing, c.backing_format);
      ++failures;
    }
  }
  assert_int_equal(failures, 0);
}

// Bytes past kMaxImageHeaderBytes are never looked at: a name there is out
// of bounds even though the buffer holds it.
void test_reads_stop_at_the_cap(void**) {
  Image b = qcow2_image({3, "", ""});
  b.resize(kMaxImageHeaderBytes + 64, 'a');
  put_be(b, 8, kMaxImageHeaderBytes + 8, 8);
  put_be(b, 16, 8, 4);
  auto h = parse_image_header(b, "qcow2", "'img'");
  assert_false(h.ok());
  assert_non_null(std::strstr(h.error().message.c_str(), "outside the header"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_cases),
      cmocka_unit_test(test_other_bytes_do_not_match),
      cmocka_unit_test(test_reads_stop_at_the_cap),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
