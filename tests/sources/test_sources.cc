// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The source types whose plan depends on the host, or on the driver: NVMe
// disks and hostdev interfaces through a fake sysfs (their VFIO group node),
// vhost-scsi, pipes split into .in/.out, hotplugged devices; per-source
// seclabels of models svirt has no driver for; and the none driver, which
// refuses a domain that asks for a SELinux label it cannot give. The rows
// that need no host are the data-driven planner cases
// (tests/data/plan/sources-*.xml).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "none/none_driver.h"
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

constexpr const char* kImage = "system_u:object_r:svirt_image_t:s0:c5,c9";
constexpr const char* kImageCtx = "system_u:object_r:svirt_image_t:s0";

// A fake host: sys/ and dev/ under a scratch directory.
struct FakeHost {
  std::string root;

  FakeHost() {
    char tmpl[] = "/tmp/svirt-sources-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    root = tmpl;
  }
  ~FakeHost() {
    std::string rm = "rm -rf '" + root + "'";
    if (std::system(rm.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", root.c_str());
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  void sh(const std::string& cmd) const {
    std::string full = "cd '" + root + "' && " + cmd;
    assert_int_equal(std::system(full.c_str()), 0);
  }
  // A PCI function at ADDR (0000:BB:SS.F) in IOMMU group GROUP, bound to VFIO.
  void pci(const std::string& addr, int group) const {
    std::string g = std::to_string(group);
    sh("mkdir -p sys/bus/pci/devices/" + addr + " sys/kernel/iommu_groups/" + g +
       " dev/vfio && ln -s ../../../kernel/iommu_groups/" + g + " sys/bus/pci/devices/" + addr +
       "/iommu_group && touch dev/vfio/" + g + " dev/vfio/vfio");
  }
};

SecurityLabel dynamic_label(const DomainDef& def, const HostDefaults& defaults) {
  Config config;
  auto intent = plan_intent(def, "selinux", defaults, config);
  if (!intent) fail_msg("%s", intent.error().message.c_str());
  return make_dynamic_label(*intent, "selinux", 5, 9);
}

HostDefaults test_defaults() {
  Config config;
  auto backend = make_test_backend("/nonexistent-state");
  auto d = backend->defaults(config);
  assert_true(d.ok());
  return *d;
}

DomainDef parse_domain(const std::string& devices, const std::string& extra = "") {
  auto def = DomainDef::parse("<domain type='kvm'><name>src</name><devices>" + devices +
                              "</devices>" + extra + "</domain>");
  if (!def) fail_msg("%s", def.error().message.c_str());
  return std::move(def).value();
}

Result<std::vector<ResourceLabel>> plan(const DomainDef& def, const FakeHost& host) {
  HostDefaults defaults = test_defaults();
  Config config;
  return plan_resources(def, "selinux", dynamic_label(def, defaults), defaults, config,
                        DeviceRoot{host.root});
}

// "KIND DEVICE PATH LABEL EXPECT" per resource, as the planner data cases.
std::string render(const std::vector<ResourceLabel>& res) {
  std::string out;
  for (const ResourceLabel& r : res)
    out += std::string(resource_kind_name(r.kind)) + " " + r.device + " " +
           (r.path.empty() ? "-" : r.path) + " " + (r.label ? *r.label : "-") + " " +
           file_kind_name(r.expect) + (r.reason.empty() ? "" : " (" + r.reason + ")") + "\n";
  return out;
}

void expect_plan(const Result<std::vector<ResourceLabel>>& res, const std::string& want) {
  if (!res) fail_msg("%s", res.error().message.c_str());
  std::string got = render(*res);
  if (got != want) fail_msg("plan:\n%s--- want:\n%s", got.c_str(), want.c_str());
}

void expect_error(const Result<std::vector<ResourceLabel>>& res, const char* needle) {
  if (res)
    fail_msg("planned, expected an error containing \"%s\":\n%s", needle, render(*res).c_str());
  if (std::strstr(res.error().message.c_str(), needle) == nullptr)
    fail_msg("error \"%s\" does not contain \"%s\"", res.error().message.c_str(), needle);
  assert_null(std::strchr(res.error().message.c_str(), '\n'));
}

// An NVMe disk is driven through VFIO: its controller's group node is what
// QEMU opens, labelled as a hostdev group node is; the container node is
// every VFIO user's and left alone. No group: an error naming the disk.
void test_nvme_disk_labels_its_vfio_group(void**) {
  FakeHost host;
  host.pci("0000:01:00.0", 12);
  DomainDef def = parse_domain(
      "<disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'>"
      "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>"
      "<target dev='vdb'/></disk>");
  expect_plan(plan(def, host),
              std::string("disk vdb /dev/vfio/12 ") + kImageCtx + " character device\n");

  DomainDef missing = parse_domain(
      "<disk type='nvme' device='disk'><source type='pci' namespace='1'>"
      "<address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source>"
      "<target dev='vdc'/></disk>");
  expect_error(plan(missing, host), "disk 'vdc': hostdev pci 0000:02:00.0");
}

// An SR-IOV function given as <interface type='hostdev'> is a PCI hostdev
// underneath: its group node, under the interface's name.
void test_hostdev_interface_labels_its_vfio_group(void**) {
  FakeHost host;
  host.pci("0000:05:10.1", 3);
  DomainDef def = parse_domain(
      "<interface type='bridge'><source bridge='br0'/></interface>"
      "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' "
      "bus='0x05' slot='0x10' function='0x1'/></source></interface>");
  auto res = plan(def, host);
  if (!res) fail_msg("%s", res.error().message.c_str());
  assert_int_equal(res->size(), 2);
  assert_false((*res)[0].label.has_value());
  assert_string_equal((*res)[0].device.c_str(), "net0");
  assert_non_null(std::strstr((*res)[0].reason.c_str(), "bridge"));
  assert_string_equal((*res)[1].device.c_str(), "net1");
  assert_string_equal((*res)[1].path.c_str(), "/dev/vfio/3");
  assert_string_equal((*res)[1].label->c_str(), kImageCtx);
  assert_int_equal(static_cast<int>((*res)[1].expect), static_cast<int>(FileKind::kCharDevice));
}

// vhost-scsi has one node for every target: the image context without
// categories, so every VM using vhost-scsi may open it.
void test_vhost_scsi_node(void**) {
  FakeHost host;
  DomainDef def = parse_domain(
      "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
      "wwpn='naa.50014057667280d8'/></hostdev>");
  expect_plan(plan(def, host),
              std::string("hostdev hostdev /dev/vhost-scsi ") + kImageCtx + " character device\n");
}

// A pipe chardev is PATH.in and PATH.out when both exist, each a FIFO.
void test_pipe_chardev_halves(void**) {
  FakeHost host;
  host.sh("mkdir -p run && mkfifo run/p.in run/p.out");
  DomainDef def = parse_domain(
      "<serial type='pipe'><source path='/run/p'/><log file='/var/log/p.log'/></serial>");
  expect_plan(plan(def, host), std::string("chardev serial0 /run/p.in ") + kImage +
                                   " FIFO\nchardev serial0 /run/p.out " + kImage +
                                   " FIFO\nchardev serial0 /var/log/p.log " + kImage +
                                   " regular file\n");
}

// Hotplug plans a device's sources as a domain's: a network disk is left
// alone with its reason, a volume refused.
void test_hotplugged_sources(void**) {
  FakeHost host;
  DomainDef def = parse_domain("<interface type='user'/>");
  HostDefaults defaults = test_defaults();
  SecurityLabel label = dynamic_label(def, defaults);
  auto nbd = DeviceDef::parse(
      "<disk type='network'><source protocol='nbd' name='x'><host name='h'/></source>"
      "<target dev='vdy'/></disk>",
      def);
  assert_true(nbd.ok());
  auto left = plan_device_resources(def, *nbd, "selinux", label, defaults, DeviceRoot{host.root});
  expect_plan(left, "disk vdy - - any file (network disk (nbd): no host file)\n");

  auto fs = DeviceDef::parse(
      "<filesystem type='mount'><source socket='/run/vfs.sock'/><target dir='t'/></filesystem>",
      def);
  assert_true(fs.ok());
  expect_plan(plan_device_resources(def, *fs, "selinux", label, defaults, DeviceRoot{host.root}),
              std::string("chardev t /run/vfs.sock ") + kImage + " socket\n");

  auto vol = DeviceDef::parse(
      "<disk type='volume'><source pool='p' volume='v'/><target dev='vdz'/></disk>", def);
  assert_true(vol.ok());
  expect_error(plan_device_resources(def, *vol, "selinux", label, defaults, DeviceRoot{host.root}),
               "disk 'vdz': type 'volume'");
}

// A per-source seclabel of a model with no driver here is refused where the
// domain is verified (plan_intent), for hotplug too, even when the domain
// does not relabel; dac and none pass.
void test_source_seclabel_models(void**) {
  HostDefaults defaults = test_defaults();
  Config config;
  for (const char* model : {"apparmor", "smack"}) {
    DomainDef def = parse_domain(std::string("<disk type='file'><source file='/i/a.img'>"
                                             "<seclabel model='") +
                                 model + "' relabel='no'/></source><target dev='vda'/></disk>");
    auto intent = plan_intent(def, "selinux", defaults, config);
    assert_false(intent.ok());
    assert_non_null(std::strstr(intent.error().message.c_str(), model));
    assert_non_null(std::strstr(intent.error().message.c_str(), "disk 'vda'"));
  }
  DomainDef backing = parse_domain(
      "<disk type='file'><source file='/i/top.qcow2'/><backingStore type='file'>"
      "<source file='/i/base.raw'><seclabel model='apparmor' relabel='no'/></source>"
      "</backingStore><target dev='vda'/></disk>");
  auto intent = plan_intent(backing, "selinux", defaults, config);
  assert_false(intent.ok());
  assert_non_null(std::strstr(intent.error().message.c_str(), "backingStore 1"));

  DomainDef dac = parse_domain(
      "<disk type='file'><source file='/i/a.img'><seclabel model='dac' relabel='no'/>"
      "</source><target dev='vda'/></disk>"
      "<serial type='file'><source path='/l/s.log'><seclabel model='none' relabel='no'/>"
      "</source></serial>");
  assert_true(plan_intent(dac, "selinux", defaults, config).ok());

  DomainDef plain = parse_domain("");
  auto dev = DeviceDef::parse(
      "<serial type='file'><source path='/l/s.log'><seclabel model='apparmor' relabel='no'/>"
      "</source></serial>",
      plain);
  assert_true(dev.ok());
  SecurityLabel none;  // a domain that relabels nothing is still refused the model
  auto res = plan_device_resources(plain, *dev, "selinux", none, defaults);
  assert_false(res.ok());
  assert_non_null(std::strstr(res.error().message.c_str(), "serial0"));
}

// The none driver runs a domain written for SELinux unlabelled (cli.md: the
// same XML serves a host without SELinux), and refuses with one line a model
// no svirt driver knows.
void test_none_driver_refuses_unknown_models(void**) {
  auto drv = make_none_driver();
  struct Case {
    const char* xml;    // inside <domain>, after <devices>
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"<seclabel type='dynamic' model='selinux'/>", nullptr},
      {"<seclabel type='static' model='selinux' relabel='no'>"
       "<label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>",
       nullptr},
      {"<seclabel type='dynamic' model='apparmor'/>", "model 'apparmor' has no security driver"},
      {"<seclabel type='none' model='selinux'/>", nullptr},
      {"<seclabel type='dynamic'/>", nullptr},
      {"<seclabel type='static' model='dac' relabel='no'><label>107:107</label></seclabel>",
       nullptr},
      {"<seclabel type='none'/>", nullptr},
      {"", nullptr},
  };
  for (const Case& c : cases) {
    DomainDef def = parse_domain("", c.xml);
    Result<void> r = drv->verify(def);
    if (c.error == nullptr) {
      if (!r) fail_msg("%s: %s", c.xml, r.error().message.c_str());
      continue;
    }
    if (r) fail_msg("%s: accepted, expected \"%s\"", c.xml, c.error);
    assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kInvalidInput));
    if (std::strstr(r.error().message.c_str(), c.error) == nullptr)
      fail_msg("%s: \"%s\" lacks \"%s\"", c.xml, r.error().message.c_str(), c.error);
    assert_non_null(std::strstr(r.error().message.c_str(), "domain 'src'"));
  }
  // Per-source: a SELinux label passes (nothing is labelled), a model it
  // does not know is refused.
  DomainDef own = parse_domain(
      "<disk type='file'><source file='/i/a.img'><seclabel model='selinux' relabel='yes'>"
      "<label>system_u:object_r:virt_image_t:s0</label></seclabel></source>"
      "<target dev='vda'/></disk>");
  Result<void> r = drv->verify(own);
  assert_true(r.ok());
  DomainDef aa = parse_domain(
      "<serial type='file'><source path='/l/s.log'><seclabel model='apparmor' relabel='no'/>"
      "</source></serial>");
  r = drv->verify(aa);
  assert_false(r.ok());
  assert_non_null(std::strstr(r.error().message.c_str(), "serial0"));
  // relabel='no' of SELinux asks for nothing.
  DomainDef norelabel = parse_domain(
      "<disk type='file'><source file='/i/a.img'><seclabel model='selinux' relabel='no'/>"
      "</source><target dev='vda'/></disk>");
  assert_true(drv->verify(norelabel).ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nvme_disk_labels_its_vfio_group),
      cmocka_unit_test(test_hostdev_interface_labels_its_vfio_group),
      cmocka_unit_test(test_vhost_scsi_node),
      cmocka_unit_test(test_pipe_chardev_halves),
      cmocka_unit_test(test_hotplugged_sources),
      cmocka_unit_test(test_source_seclabel_models),
      cmocka_unit_test(test_none_driver_refuses_unknown_models),
  };
  return cmocka_run_group_tests_name("sources", tests, nullptr, nullptr);
}
