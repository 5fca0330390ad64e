// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plan/device_paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svirt::internal {
namespace {

using Sharing = DevicePath::Sharing;

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

constexpr std::string_view kVfioContainer = "/dev/vfio/vfio";
// sysfs attributes svirt reads are a few characters; anything longer is not
// the attribute we expect.
constexpr std::size_t kMaxAttrBytes = 64;

bool all_of_class(std::string_view s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [pred](char c) {
    return pred(static_cast<unsigned char>(c)) != 0;
  });
}

// Decimal without sign or spaces, within [lo, hi]. Nine digits at most keeps
// the conversion clear of overflow.
std::optional<long> parse_decimal(std::string_view s, long lo, long hi) {
  if (s.size() > 9 || !all_of_class(s, isdigit)) return std::nullopt;
  long v = std::strtol(std::string(s).c_str(), nullptr, 10);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// The kernel writes USB ids as four hex digits without 0x.
std::optional<int> parse_hex16(std::string_view s) {
  if (s.size() != 4 || !all_of_class(s, isxdigit)) return std::nullopt;
  return static_cast<int>(std::strtol(std::string(s).c_str(), nullptr, 16));
}

std::string hex4(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

std::string usb_node(long bus, long dev) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/dev/bus/usb/%03ld/%03ld", bus, dev);
  return buf;
}

// Host path -> path on disk under the prefix.
std::string under(const DeviceRoot& root, std::string_view host_path) {
  return root.prefix + std::string(host_path);
}

// A directory below PREFIX/sys: where it really is, for I/O, and the path it
// was asked for, for messages.
struct SysDir {
  std::string real;
  std::string shown;  // "/sys/bus/..."
};

ErrorCode code_for_errno(int e) {
  return e == ENOENT || e == ENOTDIR ? ErrorCode::kNotFound : ErrorCode::kOperationFailed;
}

// Resolves PREFIX/sys/<rel> and refuses a result outside PREFIX/sys: sysfs
// device entries are links into sys/devices, and nothing else is trusted.
Result<SysDir> sys_dir(const DeviceRoot& root, const std::string& rel, const std::string& who,
                       const char* missing) {
  std::string sys = under(root, "/sys");
  std::unique_ptr<char, decltype(&std::free)> sys_real(realpath(sys.c_str(), nullptr), &std::free);
  if (!sys_real) {
    int e = errno;
    return make_error(code_for_errno(e), who + ": /sys", e);
  }
  std::string full = sys + "/" + rel;
  std::unique_ptr<char, decltype(&std::free)> real(realpath(full.c_str(), nullptr), &std::free);
  if (!real) {
    int e = errno;
    if (e == ENOENT) return make_error(ErrorCode::kNotFound, who + ": " + missing);
    return make_error(ErrorCode::kOperationFailed, who + ": /sys/" + rel, e);
  }
  std::string base = std::string(sys_real.get()) + "/";
  std::string got = real.get();
  if (got.compare(0, base.size(), base) != 0) {
    return make_error(ErrorCode::kOperationFailed, who + ": /sys/" + rel + " leads outside /sys");
  }
  struct stat st {};
  if (stat(got.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(ErrorCode::kOperationFailed, who + ": /sys/" + rel + " is not a directory");
  }
  return SysDir{got, "/sys/" + rel};
}

// One sysfs attribute, without its trailing newline. Opened without following
// a final link: attributes are plain files.
Result<std::string> read_attr(const SysDir& dir, const std::string& name, const std::string& who) {
  std::string full = dir.real + "/" + name;
  std::string shown = dir.shown + "/" + name;
  int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    return make_error(code_for_errno(e), who + ": " + shown, e);
  }
  char buf[kMaxAttrBytes + 1];
  std::size_t len = 0;
  while (len < sizeof buf) {
    ssize_t n = read(fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return make_error(ErrorCode::kOperationFailed, who + ": " + shown, e);
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  close(fd);
  if (len > kMaxAttrBytes) {
    return make_error(ErrorCode::kOperationFailed, who + ": " + shown + ": value too long");
  }
  std::string v(buf, len);
  if (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

Error bad_value(const std::string& shown_path, const std::string& who, const std::string& value,
                const char* expected) {
  // Quote at most a little of the value; it may be anything.
  std::string quoted = value.substr(0, 16);
  for (char& c : quoted) {
    if (!isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return make_error(ErrorCode::kOperationFailed,
                    who + ": " + shown_path + ": '" + quoted + "' is not " + expected);
}

// The VFIO group node of a device directory holding an iommu_group link. Only
// the link's last component is used, never the link itself, and it must be a
// group number.
Result<std::vector<DevicePath>> vfio_paths(const DeviceRoot& root, const SysDir& dir,
                                           const std::string& who, const char* no_node_hint) {
  std::string link = dir.real + "/iommu_group";
  std::string shown_link = dir.shown + "/iommu_group";
  char target[PATH_MAX];
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) {
    int e = errno;
    if (e == ENOENT) {
      return make_error(ErrorCode::kNotFound,
                        who +
                            ": no IOMMU group (is the IOMMU on and the device bound to "
                            "vfio-pci?)");
    }
    if (e == EINVAL) {
      return make_error(ErrorCode::kOperationFailed, who + ": " + shown_link + " is not a link");
    }
    return make_error(ErrorCode::kOperationFailed, who + ": " + shown_link, e);
  }
  std::string t(target, static_cast<std::size_t>(n));
  while (!t.empty() && t.back() == '/') t.pop_back();
  std::string group =
      t.substr(t.find_last_of('/') == std::string::npos ? 0 : t.find_last_of('/') + 1);
  if (!parse_decimal(group, 0, 999999999)) {
    return bad_value(shown_link, who, group, "an IOMMU group number");
  }
  std::string node = "/dev/vfio/" + group;
  struct stat st {};
  if (stat(under(root, node).c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOENT) {
      return make_error(ErrorCode::kNotFound,
                        who + ": " + node + " does not exist (" + no_node_hint + ")");
    }
    return make_error(ErrorCode::kOperationFailed, who + ": " + node, e);
  }
  return std::vector<DevicePath>{{node, Sharing::kGroup},
                                 {std::string(kVfioContainer), Sharing::kGroup}};
}

Result<std::vector<DevicePath>> usb_paths(const Hostdev& h, const DeviceRoot& root) {
  bool by_id = h.usb_vendor >= 0 || h.usb_product >= 0;
  bool by_addr = h.usb_bus >= 0 || h.usb_device >= 0;
  std::string who = "hostdev usb";
  if (by_id) {
    who += " " + (h.usb_vendor >= 0 ? hex4(h.usb_vendor) : std::string("?")) + ":" +
           (h.usb_product >= 0 ? hex4(h.usb_product) : std::string("?"));
  } else if (by_addr) {
    char addr[32];
    std::snprintf(addr, sizeof addr, " %03d:%03d", h.usb_bus, h.usb_device);
    who += addr;
  }
  if (!by_id && !by_addr) {
    return make_error(ErrorCode::kInvalidInput, who + ": neither vendor/product nor bus/device");
  }
  if (by_id &&
      (h.usb_vendor < 0 || h.usb_vendor > 0xffff || h.usb_product < 0 || h.usb_product > 0xffff)) {
    return make_error(ErrorCode::kInvalidInput,
                      who + ": vendor and product must both be given, each 0 to 0xffff");
  }
  // usbfs names buses and devices with three decimal digits.
  if (by_addr && (h.usb_bus < 1 || h.usb_bus > 999 || h.usb_device < 1 || h.usb_device > 999)) {
    return make_error(ErrorCode::kInvalidInput,
                      who + ": bus and device must both be given, each 1 to 999");
  }
  if (!by_id)
    return std::vector<DevicePath>{{usb_node(h.usb_bus, h.usb_device), Sharing::kPrivate}};

  // Scan every device; a given bus/device narrows the matches, as libvirt does.
  std::string devices = under(root, "/sys/bus/usb/devices");
  DirPtr d(opendir(devices.c_str()));
  if (!d) {
    int e = errno;
    if (e == ENOENT) return make_error(ErrorCode::kNotFound, who + ": no such device");
    return make_error(ErrorCode::kOperationFailed, who + ": /sys/bus/usb/devices", e);
  }
  struct Match {
    std::string entry;
    long bus, dev;
  };
  std::vector<Match> matches;
  for (;;) {
    errno = 0;
    dirent* ent = readdir(d.get());
    if (ent == nullptr) {
      int e = errno;
      if (e == 0) break;
      return make_error(ErrorCode::kOperationFailed, who + ": /sys/bus/usb/devices", e);
    }
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    auto dir = sys_dir(root, "bus/usb/devices/" + name, who, "device vanished during the scan");
    // A device unplugged while scanning is simply not a match.
    if (!dir && dir.error().code == ErrorCode::kNotFound) continue;
    if (!dir) return std::move(dir).error();
    auto vendor = read_attr(*dir, "idVendor", who);
    // Interfaces share the directory with devices and have no ids.
    if (!vendor && vendor.error().code == ErrorCode::kNotFound) continue;
    if (!vendor) return std::move(vendor).error();
    auto v = parse_hex16(*vendor);
    if (!v) return bad_value(dir->shown + "/idVendor", who, *vendor, "a 4-digit hex id");
    auto product = read_attr(*dir, "idProduct", who);
    if (!product) return std::move(product).error();
    auto p = parse_hex16(*product);
    if (!p) return bad_value(dir->shown + "/idProduct", who, *product, "a 4-digit hex id");
    if (*v != h.usb_vendor || *p != h.usb_product) continue;

    long num[2];
    const char* attrs[2] = {"busnum", "devnum"};
    for (int i = 0; i < 2; ++i) {
      auto text = read_attr(*dir, attrs[i], who);
      if (!text) return std::move(text).error();
      auto val = parse_decimal(*text, 1, 999);
      if (!val) {
        return bad_value(dir->shown + "/" + attrs[i], who, *text, "a number from 1 to 999");
      }
      num[i] = *val;
    }
    if (by_addr && (num[0] != h.usb_bus || num[1] != h.usb_device)) continue;
    matches.push_back({name, num[0], num[1]});
  }
  if (matches.empty()) {
    return make_error(
        ErrorCode::kNotFound,
        who + (by_addr ? ": no such device at the given bus/device" : ": no such device"));
  }
  if (matches.size() > 1) {
    std::sort(matches.begin(), matches.end(),
              [](const Match& a, const Match& b) { return a.entry < b.entry; });
    std::string list;
    for (const Match& m : matches) list += (list.empty() ? "" : ", ") + m.entry;
    return make_error(ErrorCode::kInvalidInput, who + ": " + std::to_string(matches.size()) +
                                                    " devices match (" + list +
                                                    "); give bus and device as well");
  }
  return std::vector<DevicePath>{{usb_node(matches[0].bus, matches[0].dev), Sharing::kPrivate}};
}

Result<std::vector<DevicePath>> pci_paths(const Hostdev& h, const DeviceRoot& root) {
  if (h.pci_domain < 0 || h.pci_domain > 0xffff || h.pci_bus < 0 || h.pci_bus > 0xff ||
      h.pci_slot < 0 || h.pci_slot > 0x1f || h.pci_function < 0 || h.pci_function > 7) {
    return make_error(ErrorCode::kInvalidInput,
                      "hostdev pci: address needs domain 0-0xffff, bus 0-0xff, slot 0-0x1f, "
                      "function 0-7");
  }
  char addr[32];
  std::snprintf(addr, sizeof addr, "%04x:%02x:%02x.%x", h.pci_domain, h.pci_bus, h.pci_slot,
                h.pci_function);
  std::string who = std::string("hostdev pci ") + addr;
  auto dir = sys_dir(root, std::string("bus/pci/devices/") + addr, who, "no such device");
  if (!dir) return std::move(dir).error();
  return vfio_paths(root, *dir, who, "is the device bound to vfio-pci?");
}

// libvirt labels a shareable or readonly SCSI generic node the way it labels
// such disks (shared image or read-only content label); that choice belongs to
// the planner, this only finds the node.
Result<std::vector<DevicePath>> scsi_paths(const Hostdev& h, const DeviceRoot& root) {
  constexpr std::string_view kHost = "scsi_host";
  std::string who = "hostdev scsi " + h.scsi_adapter + ":" + std::to_string(h.scsi_bus) + ":" +
                    std::to_string(h.scsi_target) + ":" + std::to_string(h.scsi_unit);
  std::string_view adapter = h.scsi_adapter;
  std::optional<long> host;
  if (adapter.substr(0, kHost.size()) == kHost) {
    host = parse_decimal(adapter.substr(kHost.size()), 0, 999999999);
  }
  if (!host) {
    return make_error(ErrorCode::kInvalidInput, who + ": adapter is not 'scsi_host<N>'");
  }
  if (h.scsi_bus < 0 || h.scsi_target < 0 || h.scsi_unit < 0) {
    return make_error(ErrorCode::kInvalidInput, who + ": bus, target and unit must be given");
  }
  std::string rel = "bus/scsi/devices/" + std::to_string(*host) + ":" + std::to_string(h.scsi_bus) +
                    ":" + std::to_string(h.scsi_target) + ":" + std::to_string(h.scsi_unit);
  auto dir = sys_dir(root, rel, who, "no such device");
  if (!dir) return std::move(dir).error();
  std::string sg = dir->real + "/scsi_generic";
  std::string shown_sg = dir->shown + "/scsi_generic";
  DirPtr d(opendir(sg.c_str()));
  if (!d) {
    int e = errno;
    if (e == ENOENT) {
      return make_error(ErrorCode::kNotFound,
                        who + ": no SCSI generic node (is the sg module loaded?)");
    }
    return make_error(ErrorCode::kOperationFailed, who + ": " + shown_sg, e);
  }
  std::vector<std::string> names;
  while (dirent* ent = readdir(d.get())) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (names.empty()) {
    return make_error(ErrorCode::kNotFound,
                      who + ": no SCSI generic node (is the sg module loaded?)");
  }
  if (names.size() > 1) {
    return make_error(ErrorCode::kOperationFailed,
                      who + ": " + shown_sg + " holds more than one entry");
  }
  std::string_view n = names[0];
  if (n.substr(0, 2) != "sg" || !parse_decimal(n.substr(2), 0, 999999999)) {
    return bad_value(shown_sg + "/" + names[0], who, names[0], "an sg<N> name");
  }
  return std::vector<DevicePath>{{"/dev/" + names[0], Sharing::kPrivate}};
}

Result<std::vector<DevicePath>> mdev_paths(const Hostdev& h, const DeviceRoot& root) {
  std::string who = "hostdev mdev " + h.mdev_uuid;
  std::string uuid = h.mdev_uuid;
  bool ok = uuid.size() == 36;
  for (std::size_t i = 0; ok && i < uuid.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? uuid[i] == '-' : isxdigit(static_cast<unsigned char>(uuid[i])) != 0;
    uuid[i] = static_cast<char>(tolower(static_cast<unsigned char>(uuid[i])));
  }
  if (!ok) return make_error(ErrorCode::kInvalidInput, who + ": not a UUID");
  auto dir = sys_dir(root, "bus/mdev/devices/" + uuid, who, "no such mediated device");
  if (!dir) return std::move(dir).error();
  return vfio_paths(root, *dir, who, "is the mediated device's IOMMU group set up?");
}

}  // namespace

Result<std::vector<DevicePath>> hostdev_paths(const Hostdev& h, const DeviceRoot& root) {
  switch (h.type) {
    case HostdevType::kUsb:
      return usb_paths(h, root);
    case HostdevType::kPci:
      return pci_paths(h, root);
    case HostdevType::kScsi:
      return scsi_paths(h, root);
    case HostdevType::kMdev:
      return mdev_paths(h, root);
    case HostdevType::kScsiHost:
      // One node for every vhost-scsi target on the host; QEMU opens it and
      // names the target by WWPN.
      return std::vector<DevicePath>{{"/dev/vhost-scsi", Sharing::kGroup}};
    case HostdevType::kCapsStorage:
    case HostdevType::kCapsMisc:
      if (h.caps_source.empty() || h.caps_source[0] != '/')
        return make_error(ErrorCode::kInvalidInput,
                          "hostdev capabilities: '" + h.caps_source + "' is not an absolute path");
      return std::vector<DevicePath>{{h.caps_source, Sharing::kPrivate}};
    case HostdevType::kCapsNet:
    case HostdevType::kOther:
      break;
  }
  return make_error(ErrorCode::kUnsupported, "hostdev: this type has no known host device node");
}

std::vector<std::string> pipe_chardev_paths(const std::string& path, const DeviceRoot& root) {
  struct stat st {};
  std::string in = path + ".in";
  std::string out = path + ".out";
  if (stat(under(root, in).c_str(), &st) == 0 && stat(under(root, out).c_str(), &st) == 0) {
    return {in, out};
  }
  return {path};
}

}  // namespace svirt::internal
