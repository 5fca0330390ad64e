// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The guest the mini dom0 boots: a raw disk image small enough to create on
// the fly, whose boot sector proves the VM used its own disk. Booted by the
// PC BIOS it
//   1. reads sector 1 of its disk and prints it on the first serial port,
//   2. writes kVmMarker into sector 2 of its disk,
//   3. powers the VM off through QEMU's isa-debug-exit device (I/O port 0xf4),
//      which makes qemu exit with status kGuestOk, or kGuestDiskError when a
//      disk access failed.
#pragma once

#include <string>
#include <string_view>

namespace mini_dom0 {

inline constexpr std::string_view kVmMarker = "SVIRT-VM-WAS-HERE";
// isa-debug-exit: qemu exits with (value << 1) | 1.
inline constexpr int kGuestOk = 3;
inline constexpr int kGuestDiskError = 5;

// Creates `path` (which must not exist) holding the boot sector and
// `greeting` (at most 500 bytes) in sector 1. Returns "" or a one-line error.
std::string write_boot_image(const std::string& path, std::string_view greeting);

// Whether the guest wrote its marker into `path`: at the start of sector 2 of
// a raw image, of a sector in some cluster of a qcow2 overlay (only the first
// MiB is searched).
bool image_has_marker(const std::string& path);

}  // namespace mini_dom0
