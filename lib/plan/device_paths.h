// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Host device nodes behind a domain's hostdevs and pipe chardevs.
//
// A <hostdev> names a device by its bus address; the file QEMU opens (and so
// the file that needs a label) is found through sysfs. These functions do that
// lookup and nothing else: no labeling, no policy. Every path is resolved under
// a root prefix so tests can run against a fake /dev and /sys tree.
//
//   DeviceRoot host;  // prefix "" = the real host
//   auto paths = hostdev_paths(def.hostdevs[0], host);
//   if (!paths) return paths.error();
//   for (const DevicePath& p : *paths) ... p.path, p.sharing ...
//
// Values read from sysfs are treated as untrusted text: each is parsed strictly
// and range-checked, and no lookup follows a link that leaves PREFIX/sys.
//
// Thread-safety: reentrant; reads the file system only.
#pragma once

#include <string>
#include <vector>

#include "svirt/domain.h"
#include "svirt/result.h"

namespace svirt::internal {

struct DeviceRoot {
  // "" = the real host; otherwise a directory holding dev/ and sys/ (and any
  // other host path looked up, e.g. pipe files), without a trailing slash.
  std::string prefix;
};

// One host path a hostdev needs, and how it may be shared.
struct DevicePath {
  enum class Sharing {
    kPrivate,  // belongs to this one device of this one domain
    kGroup,    // a VFIO node shared by every device of an IOMMU group (several
               // functions assigned to one domain) or by every VFIO user (the
               // container node), or another node every user of a kind of
               // device opens (/dev/vhost-scsi); a label on it must suit all
               // of them
  };
  std::string path;  // absolute path on the host, without the prefix
  Sharing sharing = Sharing::kPrivate;

  bool operator==(const DevicePath&) const = default;
};

// The host paths of one hostdev, in the order QEMU opens them.
//   USB, bus/device given:  /dev/bus/usb/BBB/DDD (no sysfs lookup).
//   USB, vendor/product:    the one device under sys/bus/usb/devices whose
//                           idVendor/idProduct match; its busnum/devnum give
//                           the node. None: kNotFound; several: kInvalidInput.
//   PCI:                    /dev/vfio/N from the device's iommu_group link, then
//                           /dev/vfio/vfio; both kGroup. No group, or no group
//                           node under dev/: kNotFound.
//   SCSI:                   /dev/sgN of sys/bus/scsi/devices/H:B:T:U, kPrivate.
//   mdev:                   /dev/vfio/N and /dev/vfio/vfio as for PCI.
//   scsi_host (vhost-scsi): /dev/vhost-scsi, kGroup (no sysfs lookup).
//   capabilities storage, misc: the node the XML names, kPrivate.
//   other types (capabilities net): kUnsupported.
// Malformed addresses are kInvalidInput; malformed sysfs content kOperationFailed.
// Every error is one line starting "hostdev <type> <address>: ".
Result<std::vector<DevicePath>> hostdev_paths(const Hostdev& h, const DeviceRoot& root);

// The files QEMU opens for a pipe chardev at `path`: PATH.in and PATH.out when
// both exist (under the prefix), else PATH itself. Paths come back without the
// prefix.
std::vector<std::string> pipe_chardev_paths(const std::string& path, const DeviceRoot& root);

}  // namespace svirt::internal
