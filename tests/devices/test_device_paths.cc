// SPDX-License-Identifier: LGPL-2.1-or-later
// Hostdev and pipe chardev path lookup against fake /dev and /sys trees built
// in a temporary directory: each bus type, ambiguous and missing devices, and
// sysfs content that is malformed or points where it must not.
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "plan/device_paths.h"
#include "svirt/domain.h"
#include "svirt/result.h"

// cmocka 1.1.5 declares its functions without C linkage guards.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::Hostdev;
using svirt::HostdevType;
using svirt::Result;
using svirt::internal::DevicePath;
using svirt::internal::DeviceRoot;
using svirt::internal::hostdev_paths;
using svirt::internal::pipe_chardev_paths;
using Sharing = DevicePath::Sharing;

constexpr const char* kUuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";

// A temporary directory removed with everything below it.
class Tree {
 public:
  Tree() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/svirt-devices-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    assert_non_null(mkdtemp(buf.data()));
    root_ = buf.data();
  }
  ~Tree() {
    nftw(
        root_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  DeviceRoot root() const { return DeviceRoot{root_}; }
  const std::string& dir() const { return root_; }

  void mkdirs(const std::string& rel) {
    std::string p = root_;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
      std::size_t next = rel.find('/', pos + 1);
      p = root_ + "/" + rel.substr(0, next);
      if (mkdir(p.c_str(), 0755) != 0) assert_int_equal(errno, EEXIST);
      pos = next;
    }
  }
  void write(const std::string& rel, const std::string& content) {
    std::size_t slash = rel.rfind('/');
    if (slash != std::string::npos) mkdirs(rel.substr(0, slash));
    FILE* f = std::fopen((root_ + "/" + rel).c_str(), "w");
    assert_non_null(f);
    assert_int_equal(std::fwrite(content.data(), 1, content.size(), f), content.size());
    assert_int_equal(std::fclose(f), 0);
  }
  void link(const std::string& target, const std::string& rel) {
    std::size_t slash = rel.rfind('/');
    if (slash != std::string::npos) mkdirs(rel.substr(0, slash));
    assert_int_equal(symlink(target.c_str(), (root_ + "/" + rel).c_str()), 0);
  }

  // A USB device directory with the attributes the kernel writes.
  void usb(const std::string& entry, const std::string& vendor, const std::string& product,
           const std::string& busnum, const std::string& devnum) {
    std::string d = "sys/bus/usb/devices/" + entry + "/";
    write(d + "idVendor", vendor + "\n");
    write(d + "idProduct", product + "\n");
    write(d + "busnum", busnum + "\n");
    write(d + "devnum", devnum + "\n");
  }

 private:
  std::string root_;
};

// The tree most tests share: one device of each kind, laid out as sysfs does.
void build_host(Tree& t) {
  t.usb("1-1", "046d", "c52b", "1", "7");
  t.mkdirs("sys/bus/usb/devices/1-1:1.0");  // an interface: no ids
  t.usb("usb2", "1d6b", "0002", "2", "1");
  t.write("dev/bus/usb/001/007", "");

  t.mkdirs("sys/kernel/iommu_groups/7");
  t.mkdirs("sys/kernel/iommu_groups/8");
  t.mkdirs("sys/kernel/iommu_groups/12");
  t.link("../../../kernel/iommu_groups/7", "sys/bus/pci/devices/0000:06:12.5/iommu_group");
  t.mkdirs("sys/bus/pci/devices/0000:06:12.6");  // no IOMMU group
  t.link("../../../kernel/iommu_groups/7x", "sys/bus/pci/devices/0000:06:12.7/iommu_group");
  t.link("../../../kernel/iommu_groups/8", "sys/bus/pci/devices/0000:06:13.0/iommu_group");
  t.write("sys/bus/pci/devices/0000:06:13.1/iommu_group", "7\n");  // not a link
  t.link("../../../kernel/iommu_groups/..", "sys/bus/pci/devices/0000:06:13.2/iommu_group");
  t.mkdirs("outside/dev0");
  t.link("../../iommu_groups/7", "outside/dev0/iommu_group");
  t.link("../../../../outside/dev0", "sys/bus/pci/devices/0000:06:14.0");
  t.write("dev/vfio/7", "");
  t.write("dev/vfio/12", "");
  t.write("dev/vfio/vfio", "");

  t.mkdirs("sys/bus/scsi/devices/2:0:0:0/scsi_generic/sg3");
  t.mkdirs("sys/bus/scsi/devices/2:0:1:0");  // sg not loaded
  t.mkdirs("sys/bus/scsi/devices/2:0:2:0/scsi_generic/sgx");
  t.mkdirs("sys/bus/scsi/devices/2:0:3:0/scsi_generic/sg4");
  t.mkdirs("sys/bus/scsi/devices/2:0:3:0/scsi_generic/sg5");
  t.write("dev/sg3", "");

  t.link("../../../kernel/iommu_groups/12",
         std::string("sys/bus/mdev/devices/") + kUuid + "/iommu_group");
}

Hostdev usb_addr(int bus, int dev) {
  Hostdev h;
  h.type = HostdevType::kUsb;
  h.usb_bus = bus;
  h.usb_device = dev;
  return h;
}

Hostdev usb_id(int vendor, int product) {
  Hostdev h;
  h.type = HostdevType::kUsb;
  h.usb_vendor = vendor;
  h.usb_product = product;
  return h;
}

Hostdev pci(int domain, int bus, int slot, int function) {
  Hostdev h;
  h.type = HostdevType::kPci;
  h.pci_domain = domain;
  h.pci_bus = bus;
  h.pci_slot = slot;
  h.pci_function = function;
  return h;
}

Hostdev scsi(const std::string& adapter, int bus, int target, int unit) {
  Hostdev h;
  h.type = HostdevType::kScsi;
  h.scsi_adapter = adapter;
  h.scsi_bus = bus;
  h.scsi_target = target;
  h.scsi_unit = unit;
  return h;
}

Hostdev mdev(const std::string& uuid) {
  Hostdev h;
  h.type = HostdevType::kMdev;
  h.mdev_uuid = uuid;
  return h;
}

void expect_paths(const Result<std::vector<DevicePath>>& r, const std::vector<DevicePath>& want) {
  if (!r) fail_msg("unexpected error: %s", r.error().message.c_str());
  assert_int_equal(r->size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    assert_string_equal((*r)[i].path.c_str(), want[i].path.c_str());
    assert_int_equal(static_cast<int>((*r)[i].sharing), static_cast<int>(want[i].sharing));
  }
}

// Fails unless `r` is an error of `code` whose message holds `part`.
void expect_error(const Result<std::vector<DevicePath>>& r, ErrorCode code, const char* part) {
  if (r) fail_msg("expected an error containing '%s'", part);
  if (r.error().message.find(part) == std::string::npos) {
    fail_msg("message '%s' lacks '%s'", r.error().message.c_str(), part);
  }
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(code));
  assert_int_equal(r.error().message.find('\n'), std::string::npos);
}

void test_usb_by_address(void**) {
  Tree t;  // empty: an address needs no sysfs
  expect_paths(hostdev_paths(usb_addr(1, 7), t.root()),
               {{"/dev/bus/usb/001/007", Sharing::kPrivate}});
  expect_paths(hostdev_paths(usb_addr(12, 127), t.root()),
               {{"/dev/bus/usb/012/127", Sharing::kPrivate}});
  expect_error(hostdev_paths(usb_addr(0, 7), t.root()), ErrorCode::kInvalidInput, "bus");
  expect_error(hostdev_paths(usb_addr(1, 1000), t.root()), ErrorCode::kInvalidInput, "device");
  expect_error(hostdev_paths(usb_addr(1, -1), t.root()), ErrorCode::kInvalidInput, "both");
  Hostdev none;
  none.type = HostdevType::kUsb;
  expect_error(hostdev_paths(none, t.root()), ErrorCode::kInvalidInput, "hostdev usb");
}

void test_usb_by_id(void**) {
  Tree t;
  build_host(t);
  expect_paths(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()),
               {{"/dev/bus/usb/001/007", Sharing::kPrivate}});
  expect_paths(hostdev_paths(usb_id(0x1d6b, 0x0002), t.root()),
               {{"/dev/bus/usb/002/001", Sharing::kPrivate}});
  // Vendor matches, product does not.
  auto none = hostdev_paths(usb_id(0x046d, 0xc52c), t.root());
  expect_error(none, ErrorCode::kNotFound, "046d:c52c");
  assert_string_equal(none.error().message.c_str(), "hostdev usb 046d:c52c: no such device");
  Hostdev half = usb_id(0x046d, -1);
  expect_error(hostdev_paths(half, t.root()), ErrorCode::kInvalidInput, "vendor and product");
  expect_error(hostdev_paths(usb_id(0x10000, 1), t.root()), ErrorCode::kInvalidInput,
               "0 to 0xffff");
}

void test_usb_no_sysfs(void**) {
  Tree t;
  expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kNotFound, "046d:c52b");
}

void test_usb_two_matches(void**) {
  Tree t;
  t.usb("1-1", "046d", "c52b", "1", "7");
  t.usb("3-2", "046d", "c52b", "3", "4");
  auto r = hostdev_paths(usb_id(0x046d, 0xc52b), t.root());
  expect_error(r, ErrorCode::kInvalidInput, "046d:c52b");
  expect_error(r, ErrorCode::kInvalidInput, "2 devices match (1-1, 3-2)");
  // The address settles which one.
  Hostdev both = usb_id(0x046d, 0xc52b);
  both.usb_bus = 3;
  both.usb_device = 4;
  expect_paths(hostdev_paths(both, t.root()), {{"/dev/bus/usb/003/004", Sharing::kPrivate}});
  both.usb_device = 5;
  expect_error(hostdev_paths(both, t.root()), ErrorCode::kNotFound, "046d:c52b");
}

void test_usb_bad_sysfs_values(void**) {
  {
    Tree t;
    t.usb("1-1", "zz6d", "c52b", "1", "7");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "/sys/bus/usb/devices/1-1/idVendor: 'zz6d' is not a 4-digit hex id");
  }
  {
    Tree t;
    t.usb("1-1", "046d", "0xc52b", "1", "7");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "idProduct");
  }
  {
    // The kernel always writes four digits.
    Tree t;
    t.usb("1-1", "46d", "c52b", "1", "7");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "idVendor: '46d'");
  }
  {
    Tree t;
    t.usb("1-1", "046d", "", "1", "7");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "idProduct");
  }
  {
    Tree t;
    t.usb("1-1", "046d", "c52b", "1", "1000");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "devnum: '1000'");
  }
  {
    Tree t;
    t.usb("1-1", "046d", "c52b", "-1", "7");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "busnum");
  }
  {
    Tree t;
    t.usb("1-1", "046d", "c52b", "1", std::string(200, '7'));
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "too long");
  }
  {
    // An entry linking out of sysfs is refused, not read.
    Tree t;
    t.usb("1-1", "046d", "c52b", "1", "7");
    t.mkdirs("elsewhere");
    t.link("../../../../elsewhere", "sys/bus/usb/devices/9-9");
    expect_error(hostdev_paths(usb_id(0x046d, 0xc52b), t.root()), ErrorCode::kOperationFailed,
                 "outside /sys");
  }
}

void test_pci(void**) {
  Tree t;
  build_host(t);
  auto r = hostdev_paths(pci(0, 6, 0x12, 5), t.root());
  expect_paths(r, {{"/dev/vfio/7", Sharing::kGroup}, {"/dev/vfio/vfio", Sharing::kGroup}});

  auto missing = hostdev_paths(pci(0, 6, 0x12, 6), t.root());
  expect_error(missing, ErrorCode::kNotFound, "hostdev pci 0000:06:12.6: no IOMMU group");
  expect_error(hostdev_paths(pci(0, 6, 0x12, 7), t.root()), ErrorCode::kOperationFailed,
               "'7x' is not an IOMMU group number");
  expect_error(hostdev_paths(pci(0, 6, 0x13, 2), t.root()), ErrorCode::kOperationFailed,
               "'..' is not an IOMMU group number");
  expect_error(hostdev_paths(pci(0, 6, 0x13, 1), t.root()), ErrorCode::kOperationFailed,
               "iommu_group is not a link");
  // Group exists in sysfs but has no node: not bound to vfio-pci.
  expect_error(hostdev_paths(pci(0, 6, 0x13, 0), t.root()), ErrorCode::kNotFound,
               "/dev/vfio/8 does not exist");
  expect_error(hostdev_paths(pci(0, 6, 0x14, 0), t.root()), ErrorCode::kOperationFailed,
               "hostdev pci 0000:06:14.0: /sys/bus/pci/devices/0000:06:14.0 leads outside /sys");
  expect_error(hostdev_paths(pci(1, 6, 0x12, 5), t.root()), ErrorCode::kNotFound,
               "hostdev pci 0001:06:12.5: no such device");
  expect_error(hostdev_paths(pci(0, 6, 0x20, 0), t.root()), ErrorCode::kInvalidInput, "slot");
  expect_error(hostdev_paths(pci(0, 6, 0x12, 8), t.root()), ErrorCode::kInvalidInput, "function");
  expect_error(hostdev_paths(pci(0, 0x100, 0, 0), t.root()), ErrorCode::kInvalidInput, "bus");
  expect_error(hostdev_paths(pci(-1, 6, 0x12, 5), t.root()), ErrorCode::kInvalidInput, "domain");
}

void test_scsi(void**) {
  Tree t;
  build_host(t);
  expect_paths(hostdev_paths(scsi("scsi_host2", 0, 0, 0), t.root()),
               {{"/dev/sg3", Sharing::kPrivate}});
  expect_error(hostdev_paths(scsi("scsi_host2", 0, 1, 0), t.root()), ErrorCode::kNotFound,
               "hostdev scsi scsi_host2:0:1:0: no SCSI generic node");
  expect_error(hostdev_paths(scsi("scsi_host2", 0, 2, 0), t.root()), ErrorCode::kOperationFailed,
               "'sgx' is not an sg<N> name");
  expect_error(hostdev_paths(scsi("scsi_host2", 0, 3, 0), t.root()), ErrorCode::kOperationFailed,
               "more than one entry");
  expect_error(hostdev_paths(scsi("scsi_host3", 0, 0, 0), t.root()), ErrorCode::kNotFound,
               "no such device");
  expect_error(hostdev_paths(scsi("host2", 0, 0, 0), t.root()), ErrorCode::kInvalidInput,
               "scsi_host<N>");
  expect_error(hostdev_paths(scsi("scsi_host../2", 0, 0, 0), t.root()), ErrorCode::kInvalidInput,
               "scsi_host<N>");
  expect_error(hostdev_paths(scsi("scsi_host2", 0, -1, 0), t.root()), ErrorCode::kInvalidInput,
               "target");
}

void test_mdev(void**) {
  Tree t;
  build_host(t);
  expect_paths(hostdev_paths(mdev(kUuid), t.root()),
               {{"/dev/vfio/12", Sharing::kGroup}, {"/dev/vfio/vfio", Sharing::kGroup}});
  // sysfs names mdevs in lower case.
  expect_paths(hostdev_paths(mdev("4B20D080-1B54-4048-85B3-A6A62D165C01"), t.root()),
               {{"/dev/vfio/12", Sharing::kGroup}, {"/dev/vfio/vfio", Sharing::kGroup}});
  expect_error(hostdev_paths(mdev("4b20d080-1b54-4048-85b3-a6a62d165c02"), t.root()),
               ErrorCode::kNotFound, "no such mediated device");
  expect_error(hostdev_paths(mdev("../../../../../../etc/passwd"), t.root()),
               ErrorCode::kInvalidInput, "not a UUID");
  expect_error(hostdev_paths(mdev("4b20d080-1b54-4048-85b3-a6a62d165c0g"), t.root()),
               ErrorCode::kInvalidInput, "not a UUID");
}

void test_other_type(void**) {
  Tree t;
  Hostdev h;
  expect_error(hostdev_paths(h, t.root()), ErrorCode::kUnsupported, "hostdev");
}

void test_pipe(void**) {
  Tree t;
  t.write("srv/both.in", "");
  t.write("srv/both.out", "");
  t.write("srv/half.in", "");
  t.write("srv/plain", "");
  auto both = pipe_chardev_paths("/srv/both", t.root());
  assert_int_equal(both.size(), 2);
  assert_string_equal(both[0].c_str(), "/srv/both.in");
  assert_string_equal(both[1].c_str(), "/srv/both.out");
  auto half = pipe_chardev_paths("/srv/half", t.root());
  assert_int_equal(half.size(), 1);
  assert_string_equal(half[0].c_str(), "/srv/half");
  auto plain = pipe_chardev_paths("/srv/plain", t.root());
  assert_int_equal(plain.size(), 1);
  assert_string_equal(plain[0].c_str(), "/srv/plain");
  auto absent = pipe_chardev_paths("/srv/absent", t.root());
  assert_int_equal(absent.size(), 1);
  assert_string_equal(absent[0].c_str(), "/srv/absent");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usb_by_address),
      cmocka_unit_test(test_usb_by_id),
      cmocka_unit_test(test_usb_no_sysfs),
      cmocka_unit_test(test_usb_two_matches),
      cmocka_unit_test(test_usb_bad_sysfs_values),
      cmocka_unit_test(test_pci),
      cmocka_unit_test(test_scsi),
      cmocka_unit_test(test_mdev),
      cmocka_unit_test(test_other_type),
      cmocka_unit_test(test_pipe),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
