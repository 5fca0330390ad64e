// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the file behind a resource must be before svirt labels it.
//
// open_resource() has already made sure the path leads where it says and is
// no system path. These checks look at the file itself, through the
// descriptor that was opened, because labelling hands the VM the file, not
// its name:
//   - its kind must be the one the XML promises (FileKind): a disk image that
//     is /dev/zero, a FIFO or a directory is refused;
//   - a host console or memory device (/dev/tty, /dev/console, /dev/kmsg,
//     /dev/mem, ...) is never labelled, whatever the XML calls it;
//   - a block device the host uses (it holds a mounted filesystem, or the
//     kernel reports it claimed: mounted, swap, a RAID or LVM member) is
//     refused: a VM label on the disk that holds the host's root locks the
//     host out of it;
//   - a file with more than one name (hard links) is refused unless the
//     config allows it, and never allowed when it is one of svirt's own
//     state files: labelling the inode labels every name;
//   - below the operating system's own trees (/usr, /boot, ...) only
//     read-only content is labelled, unless the config allows the tree.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string>

#include "core/safe_path.h"
#include "svirt/backend.h"
#include "svirt/config.h"
#include "svirt/label.h"

namespace svirt::internal {

struct ResourceCheckContext {
  const Config& config;
  const HostDefaults& defaults;
  std::string state_dir;  // svirt's own state: never relabelled, by any name
};

// kOperationFailed with the reason (without the resource's name, which the
// caller adds) when `opened` must not get `r`'s label.
Result<void> check_resource_file(const ResourceLabel& r, const OpenedPath& opened,
                                 const ResourceCheckContext& ctx);

// Whether a resource only ever gets read: the content label, backing layers,
// kernel, initrd, dtb and loader.
bool read_only_resource(const ResourceLabel& r, const HostDefaults& defaults);

}  // namespace svirt::internal
