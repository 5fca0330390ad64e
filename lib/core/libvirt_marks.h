// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libvirt's marks on the files it relabelled for its running VMs.
//
// libvirt remembers a file's original owner and label in extended attributes
// of the trusted namespace on the file itself, one set per security driver
// ("selinux", "dac"):
//   trusted.libvirt.security.<driver>            the original
//   trusted.libvirt.security.ref_<driver>        how many of its VMs use it
//   trusted.libvirt.security.timestamp_<driver>  the host's boot time (decimal
//                                                seconds) when it was set
// A refcount of one or more with this boot's time means a libvirt VM is using
// the file now: svirt must not relabel it. Marks with another boot's time (or
// none) are stale: the VMs that set them died with that boot, and libvirt
// itself discards such marks the next time it labels the file. svirt ignores
// them too, and leaves them for libvirt to clean.
//
// With [security] libvirt_marks, svirt writes the same marks for the files it
// labels (driver "selinux": the original, a refcount of one, this boot's
// time), so a libvirt on the same host refuses to relabel them, as it refuses
// a file another of its own VMs holds. svirt clears them when it gives the
// file its original back; marks from a boot that crashed are stale for both.
//
// Only a process with CAP_SYS_ADMIN sees trusted attributes; for anyone else
// the kernel reports none, so an unprivileged svirt sees no marks.
//
// Thread-safety: free functions; the boot time is read once per process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "svirt/result.h"

namespace svirt::internal {

struct LibvirtMark {
  std::string driver;      // "selinux" or "dac"
  // Text that is no count reads as 1: libvirt's bookkeeping is broken then,
  // and one of its VMs may hold the file.
  uint64_t refcount = 0;
  std::string timestamp;   // as stored; "" when absent
  std::optional<std::string> remembered;  // the original it keeps, if any
  bool this_boot = false;  // set during the current boot: a libvirt VM holds the file
  // The attribute that says so, for messages.
  std::string attribute() const { return "trusted.libvirt.security.ref_" + driver; }
};

// libvirt's marks on the file behind `fd` (O_PATH), one per driver that left
// a refcount; empty when libvirt never labelled it (or we may not see them).
std::vector<LibvirtMark> libvirt_marks(int fd);

// Whether `timestamp` (libvirt's decimal boot time) is this boot's. libvirt
// takes the boot time from utmp's boot record, else from the clock minus
// /proc/uptime, so its figure can differ from the kernel's btime by a second
// or two; a mark from an earlier boot is older by at least that boot's uptime.
bool libvirt_timestamp_is_this_boot(const std::string& timestamp);

// Marks the file behind `fd` (O_PATH) in use by one VM, remembering
// `original` (none: the file had no label), as libvirt's SELinux driver does.
// The refcount is written last: a file whose other marks were written but not
// the count does not read as held.
Result<void> set_libvirt_marks(int fd, const std::optional<std::string>& original);

// Removes the marks set_libvirt_marks() wrote, if they are still the ones it
// wrote (a refcount of one remembering `original`): marks libvirt changed
// since belong to libvirt and stay. Returns whether marks were removed.
Result<bool> clear_libvirt_marks(int fd, const std::optional<std::string>& original);

}  // namespace svirt::internal
