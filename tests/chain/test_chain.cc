// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Backing chains the XML leaves out, found in qcow2 and QED headers the
// tests write: what the planner labels for each chain (data-driven), what
// it refuses, and, through a manager with the test driver, that the live
// XML names every layer, a layer shared by two domains keeps the content
// label until the second release, and release restores every original.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../core/test_support.h"
#include "image_writer.h"
#include "plan/backing_chain.h"
#include "plan/planner.h"
#include "test/test_backend.h"

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

constexpr const char* kContent = "system_u:object_r:virt_content_t:s0";
constexpr const char* kOrig = "system_u:object_r:virt_image_t:s0";

using Fixture = Scratch;

int setup(void** st) { return scratch_setup(st, "chain"); }
int teardown(void** st) { return scratch_teardown(st); }

std::string qcow2_disk(const std::string& path, const std::string& dev = "vda",
                       const std::string& format = "qcow2", const std::string& inner = "") {
  return "<disk type='file' device='disk'><driver name='qemu' type='" + format +
         "'/><source file='" + path + "'/>" + inner + "<target dev='" + dev + "'/></disk>";
}

HostDefaults test_defaults() {
  Config config;
  auto backend = make_test_backend("/nonexistent-state");
  auto d = backend->defaults(config);
  assert_true(d.ok());
  return *d;
}

Result<std::vector<ResourceLabel>> plan(const DomainDef& def) {
  HostDefaults defaults = test_defaults();
  Config config;
  auto intent = plan_intent(def, "selinux", defaults, config);
  if (!intent) fail_msg("%s", intent.error().message.c_str());
  return plan_resources(def, "selinux", make_dynamic_label(*intent, "selinux", 5, 9), defaults,
                        config);
}

// "KIND PATH LABEL" per disk resource, paths relative to `dir`.
std::string render(const std::vector<ResourceLabel>& res, const std::string& dir) {
  std::string out;
  for (const ResourceLabel& r : res) {
    std::string p = r.path.rfind(dir + "/", 0) == 0 ? r.path.substr(dir.size() + 1) : r.path;
    out += std::string(resource_kind_name(r.kind)) + " " + (p.empty() ? "-" : p) + " " +
           (r.label ? (*r.label == kContent ? "content" : "image") : "-") +
           (r.reason.empty() ? "" : " (" + r.reason + ")") + "\n";
  }
  return out;
}

// A qcow2 chain of `layers` files top, l1, l2, ... each naming the next;
// the last is raw. Relative names when `relative`.
void write_chain(const std::string& dir, int layers, bool relative, int version = 3) {
  for (int i = 0; i < layers; ++i) {
    std::string name = "l" + std::to_string(i);
    if (i + 1 == layers) {
      write_file(dir + "/" + name, "raw bytes");
      continue;
    }
    std::string next = "l" + std::to_string(i + 1);
    bool last_qcow2 = i + 2 == layers;
    write_image(dir + "/" + name,
                qcow2_image({version, relative ? next : dir + "/" + next,
                             last_qcow2 ? "raw" : "qcow2"}));
  }
}

std::string chain_plan(int layers) {
  std::string want = "disk l0 image\n";
  for (int i = 1; i < layers; ++i) want += "backing l" + std::to_string(i) + " content\n";
  return want;
}

struct ChainCase {
  const char* name;
  int layers;
  bool relative;
  int version;
};

// Chains of 1, 3 and 8 layers, relative and absolute names, v2 and v3: the
// top gets the VM's image label, every layer below it the content label.
void test_chains(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const ChainCase cases[] = {{"one layer", 1, false, 3},   {"three, absolute", 3, false, 3},
                             {"three, relative", 3, true, 3}, {"eight, relative", 8, true, 3},
                             {"eight, absolute v2", 8, false, 2}};
  int failures = 0;
  for (const ChainCase& c : cases) {
    std::string dir = f.dir + "/" + std::to_string(&c - cases);
    assert_int_equal(mkdir(dir.c_str(), 0755), 0);
    write_chain(dir, c.layers, c.relative, c.version);
    // One layer: a qcow2 image with no backing file.
    if (c.layers == 1) write_image(dir + "/l0", qcow2_image({3, "", ""}));
    auto res = plan(test_domain("c", qcow2_disk(dir + "/l0")));
    if (!res) {
      std::fprintf(stderr, "%s: %s\n", c.name, res.error().message.c_str());
      ++failures;
      continue;
    }
    std::string got = render(*res, dir), want = chain_plan(c.layers);
    if (got != want) {
      std::fprintf(stderr, "%s:\n%s--- want:\n%s", c.name, got.c_str(), want.c_str());
      ++failures;
    }
  }
  assert_int_equal(failures, 0);
}

void expect_plan(const DomainDef& def, const std::string& dir, const std::string& want) {
  auto res = plan(def);
  if (!res) fail_msg("%s", res.error().message.c_str());
  std::string got = render(*res, dir);
  if (got != want) fail_msg("plan:\n%s--- want:\n%s", got.c_str(), want.c_str());
}

void expect_refused(const DomainDef& def, const std::vector<const char*>& needles) {
  auto res = plan(def);
  if (res) fail_msg("planned, expected an error with \"%s\"", needles[0]);
  const std::string& m = res.error().message;
  for (const char* n : needles)
    if (m.find(n) == std::string::npos) fail_msg("error \"%s\" lacks \"%s\"", m.c_str(), n);
  assert_null(std::strchr(m.c_str(), '\n'));
}

// A raw disk, or a disk of no declared format, is never parsed, even when
// its bytes are a qcow2 header naming a backing file.
void test_raw_holding_qcow2_header_not_parsed(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/guest.img", qcow2_image({3, f.dir + "/secret", "raw"}));
  write_file(f.dir + "/secret");
  expect_plan(test_domain("r", qcow2_disk(f.dir + "/guest.img", "vda", "raw")), f.dir,
              "disk guest.img image\n");
  expect_plan(test_domain("r", disk_xml(f.dir + "/guest.img")), f.dir, "disk guest.img image\n");
  // Nor a lower layer declared raw.
  expect_plan(test_domain("r", qcow2_disk(f.dir + "/top", "vda", "qcow2",
                                          "<backingStore type='file'><format type='raw'/>"
                                          "<source file='" + f.dir + "/guest.img'/>"
                                          "</backingStore>")),
              f.dir, "disk top image\nbacking guest.img content\n");
}

// An empty <backingStore/> says there is no backing file: the header is not
// read. A <backingStore> layer without the end marker is read further.
void test_backing_store_in_xml(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top", qcow2_image({3, "mid", "qcow2"}));
  write_image(f.dir + "/mid", qcow2_image({3, "base", "raw"}));
  write_file(f.dir + "/base");
  expect_plan(test_domain("b", qcow2_disk(f.dir + "/top", "vda", "qcow2", "<backingStore/>")),
              f.dir, "disk top image\n");
  std::string mid = "<backingStore type='file'><format type='qcow2'/><source file='" + f.dir +
                    "/mid'/></backingStore>";
  expect_plan(test_domain("b", qcow2_disk(f.dir + "/top", "vda", "qcow2", mid)), f.dir,
              "disk top image\nbacking mid content\nbacking base content\n");
}

void test_qed_chain(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top.qed", qed_image({"base.raw", true}));
  write_file(f.dir + "/base.raw");
  expect_plan(test_domain("q", qcow2_disk(f.dir + "/top.qed", "vda", "qed")), f.dir,
              "disk top.qed image\nbacking base.raw content\n");
  // Without the no-probe bit QED records no format: refused.
  write_image(f.dir + "/probe.qed", qed_image({"base.raw", false}));
  expect_refused(test_domain("q", qcow2_disk(f.dir + "/probe.qed", "vda", "qed")),
                 {"disk 'vda'", "base.raw", "no recorded format", "qemu-img rebase"});
}

// libvirt refuses a backing file whose format the overlay does not record
// (since 6.0); svirt does too, naming the file and the fix.
void test_missing_format_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top", qcow2_image({2, "base", ""}));
  write_file(f.dir + "/base");
  expect_refused(test_domain("m", qcow2_disk(f.dir + "/top")),
                 {"disk 'vda'", (f.dir + "/base").c_str(), "no recorded format",
                  "qemu-img rebase -u -f qcow2 -F FORMAT -b 'base'"});
}

void test_loop_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/a", qcow2_image({3, "b", "qcow2"}));
  write_image(f.dir + "/b", qcow2_image({3, f.dir + "/a", "qcow2"}));
  expect_refused(test_domain("l", qcow2_disk(f.dir + "/a")),
                 {"disk 'vda'", "loops", (f.dir + "/a").c_str()});
  // An image naming itself through a second name is the same file.
  write_image(f.dir + "/self", qcow2_image({3, "./self", "qcow2"}));
  expect_refused(test_domain("l", qcow2_disk(f.dir + "/self")), {"loops", "./self"});
}

void test_chain_past_the_bound_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_chain(f.dir, kMaxChainLayers + 1, true);
  expect_refused(test_domain("d", qcow2_disk(f.dir + "/l0")),
                 {"disk 'vda'", "deeper than 64 layers",
                  (f.dir + "/l" + std::to_string(kMaxChainLayers - 1)).c_str()});
  // Exactly the bound is fine.
  std::string dir = f.dir + "/bound";
  assert_int_equal(mkdir(dir.c_str(), 0755), 0);
  write_chain(dir, kMaxChainLayers, true);
  auto res = plan(test_domain("d", qcow2_disk(dir + "/l0")));
  assert_true(res.ok());
  assert_int_equal(res->size(), kMaxChainLayers);
}

// A network backing file has no host file: reported with its reason,
// nothing labelled for it, and the chain ends there.
void test_network_backing_reported(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top", qcow2_image({3, "nbd://example.org:10809/base", "raw"}));
  expect_plan(test_domain("n", qcow2_disk(f.dir + "/top")), f.dir,
              "disk top image\nbacking - - (network backing 'nbd://example.org:10809/base': no "
              "host file, not labelled)\n");
  write_image(f.dir + "/json", qcow2_image({3, "json:{\"file\":{\"driver\":\"nbd\"}}", "qcow2"}));
  auto res = plan(test_domain("n", qcow2_disk(f.dir + "/json")));
  assert_true(res.ok());
  assert_int_equal(res->size(), 2);
  assert_false((*res)[1].label.has_value());
  assert_non_null(std::strstr((*res)[1].reason.c_str(), "network backing"));
}

// A header that is broken: refused naming the disk and the image.
void test_broken_header_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  Image b = qcow2_image({3, "base", "raw"});
  put_be(b, 16, 1000, 4);
  write_image(f.dir + "/top", b);
  expect_refused(test_domain("h", qcow2_disk(f.dir + "/top")),
                 {"disk 'vda'", (f.dir + "/top").c_str(), "outside the header"});
}

// The live XML of prepare names each layer found, ends the chain with an
// empty <backingStore/>, and formats again to the same text.
void test_live_xml_carries_chain(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top", qcow2_image({3, "mid", "qcow2"}));
  write_image(f.dir + "/mid", qcow2_image({3, f.dir + "/base", "raw"}));
  write_file(f.dir + "/base");
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("live", qcow2_disk(f.dir + "/top")));
  if (!p) fail_msg("%s", p.error().message.c_str());
  std::string xml = p->live.format(FormatMode::kLive);
  std::string want = "<backingStore type=\"file\">";
  std::size_t at = xml.find(want);
  if (at == std::string::npos) fail_msg("no backingStore in:\n%s", xml.c_str());
  for (const std::string& s : std::vector<std::string>{"<format type=\"qcow2\"/>", "<source file=\"" + f.dir + "/mid\"/>",
        "<format type=\"raw\"/>", "<source file=\"" + f.dir + "/base\"/>", "<backingStore/>"}) {
    std::size_t next = xml.find(s, at);
    if (next == std::string::npos) fail_msg("'%s' missing or out of order in:\n%s", s.c_str(),
                                            xml.c_str());
    at = next;
  }
  auto again = DomainDef::parse(xml);
  assert_true(again.ok());
  assert_string_equal(again->format(FormatMode::kLive).c_str(), xml.c_str());
  // The chain is spelled out now: planning it reads no header.
  assert_true(again->disks[0].source.backing->backing->backing_end);
  assert_true(m->release("live").ok());
}

// Two domains whose chains share a middle layer: it keeps the content label
// until the second release, then gets its original back; release restores
// every layer's original.
void test_shared_middle_layer(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/a", qcow2_image({3, "mid", "qcow2"}));
  write_image(f.dir + "/b", qcow2_image({3, "mid", "qcow2"}));
  write_image(f.dir + "/mid", qcow2_image({3, "base", "raw"}));
  write_file(f.dir + "/base");
  for (const char* n : {"a", "b", "mid", "base"}) set_label(f.dir + "/" + n, kOrig);
  auto m = open_test_manager(f.state);
  auto pa = m->prepare(test_domain("vm-a", qcow2_disk(f.dir + "/a")));
  if (!pa) fail_msg("%s", pa.error().message.c_str());
  auto pb = m->prepare(test_domain("vm-b", qcow2_disk(f.dir + "/b")));
  if (!pb) fail_msg("%s", pb.error().message.c_str());
  assert_string_equal(label_of(f.dir + "/a")->c_str(), pa->label.imagelabel.c_str());
  assert_string_equal(label_of(f.dir + "/b")->c_str(), pb->label.imagelabel.c_str());
  assert_string_equal(label_of(f.dir + "/mid")->c_str(), kContent);
  assert_string_equal(label_of(f.dir + "/base")->c_str(), kContent);

  assert_true(m->release("vm-a").ok());
  assert_string_equal(label_of(f.dir + "/a")->c_str(), kOrig);
  assert_string_equal(label_of(f.dir + "/mid")->c_str(), kContent);
  assert_string_equal(label_of(f.dir + "/base")->c_str(), kContent);

  assert_true(m->release("vm-b").ok());
  for (const char* n : {"a", "b", "mid", "base"})
    assert_string_equal(label_of(f.dir + "/" + n)->c_str(), kOrig);
  assert_int_equal(file_records(f.state), 0);
}

// A chain that cannot be followed fails prepare before anything is labelled.
void test_refused_chain_labels_nothing(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  write_image(f.dir + "/top", qcow2_image({3, "base", ""}));
  write_file(f.dir + "/base");
  set_label(f.dir + "/top", kOrig);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("bad", qcow2_disk(f.dir + "/top")));
  assert_false(p.ok());
  assert_non_null(std::strstr(p.error().message.c_str(), "no recorded format"));
  assert_string_equal(label_of(f.dir + "/top")->c_str(), kOrig);
  assert_int_equal(file_records(f.state), 0);
}

void test_network_names(void**) {
  for (const char* n : {"nbd://host/x", "nbd+unix:///x?socket=/s", "json:{\"file\":{}}",
                        "http://h/x", "https://h/x", "iscsi://h/t/0", "rbd:pool/img",
                        "gluster://h/v/x", "ssh://h/x", "nbd:host:10809"})
    if (!is_network_backing(n)) fail_msg("%s: not taken for a network location", n);
  for (const char* n : {"/img/a:b.qcow2", "base.qcow2", "dir/with:colon/..", "./a:b"})
    if (is_network_backing(n)) fail_msg("%s: taken for a network location", n);
}

}  // namespace

int main() {
  std::string why;
  std::string probe = make_xattr_dir("chain-probe", &why);
  if (probe.empty()) {
    std::printf("SKIPPED: %s\n", why.c_str());
    return kSkip;
  }
  remove_tree(probe);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chains, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raw_holding_qcow2_header_not_parsed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_backing_store_in_xml, setup, teardown),
      cmocka_unit_test_setup_teardown(test_qed_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_format_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_loop_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chain_past_the_bound_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_network_backing_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_broken_header_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_live_xml_carries_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_middle_layer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_chain_labels_nothing, setup, teardown),
      cmocka_unit_test(test_network_names),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
