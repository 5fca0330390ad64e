// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data-driven planner tests: tests/data/plan/NAME.xml (+ optional NAME.conf)
// in, NAME.expect out. An expect file lists the process and image labels and
// one line per resource, "KIND DEVICE PATH LABEL FILEKIND", where PATH is "-"
// when there is no host file and LABEL "-" when the resource is left
// untouched, followed by " (REASON)" when it says why; or a single
// "error SUBSTRING". Dynamic labels use the pool's 6th and 10th categories,
// so expectations do not depend on the random allocator.
#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "plan/planner.h"
#include "test/test_backend.h"

// cmocka 1.1.5 has no C linkage guards and its macros clash with the C++
// library: include it last, as C.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::internal;

namespace {

std::string data_dir() {
  const char* root = getenv("SVIRT_SOURCE_ROOT");
  return std::string(root ? root : ".") + "/tests/data/plan";
}

std::string slurp(const std::string& path, bool* exists = nullptr) {
  std::ifstream f(path);
  if (exists) *exists = f.good();
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char* kind_token(FileKind k) {
  switch (k) {
    case FileKind::kAny:
      return "any";
    case FileKind::kRegular:
      return "regular";
    case FileKind::kBlock:
      return "block";
    case FileKind::kRegularOrBlock:
      return "regular|block";
    case FileKind::kDirectory:
      return "dir";
    case FileKind::kCharDevice:
      return "char";
    case FileKind::kFifo:
      return "fifo";
    case FileKind::kSocket:
      return "socket";
  }
  return "?";
}

// The plan of one case, in the expect file's format.
std::string render(const std::string& name) {
  bool has_conf = false;
  std::string conf_text = slurp(data_dir() + "/" + name + ".conf", &has_conf);
  Config config;
  if (has_conf) {
    auto c = Config::parse(conf_text, name + ".conf");
    if (!c) return "error " + c.error().message + "\n";
    config = *c;
  }
  auto backend = make_test_backend("/nonexistent-state");
  auto defaults = backend->defaults(config);
  if (!defaults) return "error " + defaults.error().message + "\n";
  auto def = DomainDef::parse(slurp(data_dir() + "/" + name + ".xml"));
  if (!def) return "error " + def.error().message + "\n";
  auto intent = plan_intent(*def, "selinux", *defaults, config);
  if (!intent) return "error " + intent.error().message + "\n";

  SecurityLabel label;
  if (intent->type == LabelType::kDynamic) {
    std::vector<int> cats = intent->pool.to_vector();
    label = make_dynamic_label(*intent, "selinux", cats.at(5), cats.at(9));
  } else if (intent->type == LabelType::kStatic) {
    auto l = make_static_label(*intent, "selinux");
    if (!l) return "error " + l.error().message + "\n";
    label = *l;
  }
  std::string out = "process " + (label.label.empty() ? "-" : label.label) + "\n";
  out += "image " + (label.imagelabel.empty() ? "-" : label.imagelabel) + "\n";
  auto res = plan_resources(*def, "selinux", label, *defaults, config);
  if (!res) return "error " + res.error().message + "\n";
  for (const ResourceLabel& r : *res) {
    out += std::string(resource_kind_name(r.kind)) + " " + r.device + " " +
           (r.path.empty() ? "-" : r.path) + " " + (r.label ? *r.label : "-") + " " +
           kind_token(r.expect);
    if (!r.reason.empty()) out += " (" + r.reason + ")";
    out += "\n";
  }
  return out;
}

void test_data_cases(void**) {
  DIR* d = opendir(data_dir().c_str());
  assert_non_null(d);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".xml") == 0) names.push_back(n.substr(0, n.size() - 4));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  assert_true(names.size() >= 15);
  int failures = 0;
  for (const std::string& n : names) {
    std::string expect = slurp(data_dir() + "/" + n + ".expect");
    std::string got = render(n);
    bool pass;
    if (expect.rfind("error ", 0) == 0) {
      std::string want = expect.substr(6);
      while (!want.empty() && want.back() == '\n') want.pop_back();
      pass = got.rfind("error ", 0) == 0 && got.find(want) != std::string::npos;
    } else {
      pass = got == expect;
    }
    if (!pass) {
      ++failures;
      std::fprintf(stderr, "case %s:\n--- expected\n%s--- got\n%s", n.c_str(), expect.c_str(), got.c_str());
    }
  }
  assert_int_equal(failures, 0);
}

void test_pool_from_process_context(void**) {
  auto ctx = SecurityContext::parse("system_u:system_r:virtd_t:s0-s0:c0.c1023");
  assert_true(ctx.ok());
  auto pool = category_pool(*ctx);
  assert_true(pool.ok());
  assert_int_equal(pool->size(), 1024);

  auto no_range = SecurityContext::parse("system_u:system_r:virtd_t");
  auto p2 = category_pool(*no_range);
  assert_true(p2.ok());
  assert_int_equal(p2->size(), 1024);

  auto eight = SecurityContext::parse("u:r:t:s0-s0:c3,c5,c7,c9,c11,c13,c15,c17");
  auto p3 = category_pool(*eight);
  assert_true(p3.ok());
  assert_int_equal(p3->size(), 8);
  assert_true(p3->contains(17));
  assert_false(p3->contains(4));

  auto seven = SecurityContext::parse("u:r:t:s0-s0:c0.c6");
  assert_false(category_pool(*seven).ok());
}

void test_dynamic_label_never_single_category(void**) {
  Config config;
  auto backend = make_test_backend("/nonexistent-state");
  auto defaults = backend->defaults(config);
  assert_true(defaults.ok());
  auto def = DomainDef::parse("<domain type='kvm'><name>x</name></domain>");
  assert_true(def.ok());
  auto intent = plan_intent(*def, "selinux", *defaults, config);
  assert_true(intent.ok());
  SecurityLabel l = make_dynamic_label(*intent, "selinux", 3, 700);
  auto ctx = SecurityContext::parse(l.label);
  assert_true(ctx.ok());
  assert_int_equal(ctx->range()->low.categories.size(), 2);
  assert_true(ctx->range()->low == ctx->range()->high);
}

// An emulated domain takes the TCG type when the policy names one; without
// one it falls back to the KVM type, and the intent says so (the driver then
// warns about execmem, as libvirt does). KVM domains and base labels never.
void test_tcg_fallback_flagged(void**) {
  Config config;
  auto backend = make_test_backend("/nonexistent-state");
  auto with_tcg = backend->defaults(config);
  assert_true(with_tcg.ok() && with_tcg->tcg_domain_context);
  HostDefaults without_tcg = *with_tcg;
  without_tcg.tcg_domain_context.reset();
  auto qemu = DomainDef::parse("<domain type='qemu'><name>x</name></domain>");
  auto kvm = DomainDef::parse("<domain type='kvm'><name>x</name></domain>");
  auto based = DomainDef::parse(
      "<domain type='qemu'><name>x</name><seclabel type='dynamic' model='selinux'>"
      "<baselabel>system_u:system_r:svirt_t:s0</baselabel></seclabel></domain>");
  assert_true(qemu.ok() && kvm.ok() && based.ok());

  auto tcg = plan_intent(*qemu, "selinux", *with_tcg, config);
  assert_true(tcg.ok());
  assert_string_equal(tcg->base->type().c_str(), "svirt_tcg_t");
  assert_false(tcg->tcg_without_tcg_type);

  auto fallback = plan_intent(*qemu, "selinux", without_tcg, config);
  assert_true(fallback.ok());
  assert_string_equal(fallback->base->type().c_str(), "svirt_t");
  assert_true(fallback->tcg_without_tcg_type);

  assert_false(plan_intent(*kvm, "selinux", without_tcg, config)->tcg_without_tcg_type);
  assert_false(plan_intent(*based, "selinux", without_tcg, config)->tcg_without_tcg_type);
}

// Host devices found through a fake sysfs: a VFIO group node gets the image
// context without categories (the group may serve several domains), the
// container node is left alone, and a pipe chardev labels PATH.in and PATH.out.
void test_devices_through_fake_sysfs(void**) {
  char tmpl[] = "/tmp/svirt-plan-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  std::string root = tmpl;
  std::string sh = "mkdir -p " + root + "/sys/bus/pci/devices/0000:06:12.5 " + root +
                   "/sys/kernel/iommu_groups/7 " + root + "/dev/vfio " + root + "/run && ln -s " +
                   "../../../kernel/iommu_groups/7 " + root +
                   "/sys/bus/pci/devices/0000:06:12.5/iommu_group && touch " + root +
                   "/dev/vfio/7 " + root + "/dev/vfio/vfio " + root + "/run/p.in " + root +
                   "/run/p.out";
  assert_int_equal(std::system(sh.c_str()), 0);
  auto def = DomainDef::parse(
      "<domain type='kvm'><name>dev</name><devices>"
      "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x06' "
      "slot='0x12' function='0x5'/></source></hostdev>"
      "<channel type='pipe'><source path='/run/p'/><target type='virtio' name='x'/></channel>"
      "</devices></domain>");
  assert_true(def.ok());
  Config config;
  auto backend = make_test_backend("/nonexistent-state");
  auto defaults = backend->defaults(config);
  auto intent = plan_intent(*def, "selinux", *defaults, config);
  SecurityLabel label = make_dynamic_label(*intent, "selinux", 5, 9);
  auto res = plan_resources(*def, "selinux", label, *defaults, config, DeviceRoot{root});
  if (!res) std::fprintf(stderr, "%s\n", res.error().message.c_str());
  assert_true(res.ok());
  std::string got;
  for (const ResourceLabel& r : *res) got += r.path + " " + *r.label + "\n";
  assert_string_equal(got.c_str(),
                      "/run/p.in system_u:object_r:svirt_image_t:s0:c5,c9\n"
                      "/run/p.out system_u:object_r:svirt_image_t:s0:c5,c9\n"
                      "/dev/vfio/7 system_u:object_r:svirt_image_t:s0\n");
  // The real host has no such device: a clear error, not a silent skip.
  auto none =
      plan_resources(*def, "selinux", label, *defaults, config, DeviceRoot{root + "/nowhere"});
  assert_false(none.ok());
  assert_non_null(strstr(none.error().message.c_str(), "0000:06:12.5"));
  assert_int_equal(std::system(("rm -rf " + root).c_str()), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_pool_from_process_context),
      cmocka_unit_test(test_dynamic_label_never_single_category),
      cmocka_unit_test(test_devices_through_fake_sysfs),
      cmocka_unit_test(test_tcg_fallback_flagged),
  };
  return cmocka_run_group_tests_name("planner", tests, nullptr, nullptr);
}
