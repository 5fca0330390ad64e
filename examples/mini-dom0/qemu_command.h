// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Turns a domain definition into a qemu-system-x86_64 command line: just
// enough devices for the boot-sector guest (IDE disks, raw or qcow2, a serial
// port written to the domain's <serial type='file'> path, the exit device).
#pragma once

#include <svirt/domain.h>

#include <string>
#include <vector>

namespace mini_dom0 {

struct QemuOptions {
  std::string binary = "qemu-system-x86_64";
  std::string img = "qemu-img";  // creates the qcow2 overlays of new layered disks
  std::string accel = "tcg";  // "kvm" only on hosts with real VT-x/AMD-V
  int memory_mib = 16;
  // The disks arrive as inherited descriptors (svirt::LaunchOptions::pass_fds)
  // and qemu takes them from fd sets instead of opening the image paths.
  bool pass_fds = false;
};

// The command line, or an empty vector with `*error` set when the domain
// uses something this small stack cannot run (no disk, a network disk, ...).
std::vector<std::string> qemu_argv(const svirt::DomainDef& def, const QemuOptions& options,
                                   std::string* error);

// The path of the domain's first file-backed serial port, or "".
std::string serial_log_path(const svirt::DomainDef& def);

}  // namespace mini_dom0
