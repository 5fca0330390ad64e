// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt's configuration: a GLib key file, like qemu.conf for libvirt.
//
//   [selinux]
//   process_context    = system_u:system_r:virtd_t:s0-s0:c0.c1023
//   domain_context     = system_u:system_r:svirt_t:s0
//   tcg_domain_context = system_u:system_r:svirt_tcg_t:s0
//   image_context      = system_u:object_r:svirt_image_t:s0
//   content_context    = system_u:object_r:virt_content_t:s0
//   [security]
//   default_confined = true
//   require_confined = false
//   audit_records    = true
//   allow_hard_links = false
//   libvirt_marks    = false
//   vm_cgroups       = /machine.slice
//   allow_system_paths = /usr/share/vm-images
//   [paths]
//   swtpm_storage_dir  = /var/lib/libvirt/swtpm
//   swtpm_log_dir      = /var/log/swtpm/libvirt/qemu
//   hugetlbfs_mount    = /dev/hugepages;/dev/hugepages1G
//   memory_backing_dir = /var/lib/libvirt/qemu/ram
//
// Every key is optional. The SELinux driver takes a missing context from the
// host (getcon_raw, virtual_domain_context, virtual_image_context); the test
// driver uses the values above as its defaults. docs/config.md lists each key.
//
// Thread-safety: plain value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

struct SVIRT_EXPORT Config {
  std::optional<std::string> process_context;     // stands for the caller's getcon()
  std::optional<std::string> domain_context;      // KVM process context
  std::optional<std::string> tcg_domain_context;  // <domain type='qemu'> process context
  std::optional<std::string> image_context;       // read-write image context
  std::optional<std::string> content_context;     // read-only content context
  bool default_confined = true;   // a domain without <seclabel> gets a dynamic label
  bool require_confined = false;  // refuse domains whose seclabel type is none
  bool audit_records = true;      // send Linux audit records (svirt/audit_log.h)
  // A file with more than one name (hard links) is refused: another name may
  // be a file no VM may reach, and labelling the inode labels every name.
  bool allow_hard_links = false;
  // Trees of the operating system (/usr, /boot, /bin, /lib, ...) where svirt
  // labels read-only content (a kernel in /boot, firmware in /usr/share) but
  // refuses shares and writable files, except below the trees listed here.
  std::vector<std::string> allow_system_paths;
  // Also write libvirt's remember attributes (trusted.libvirt.security.*) on
  // each file svirt labels, so that a libvirt on the same host sees the file
  // in use and leaves it alone, as svirt leaves libvirt's files alone.
  bool libvirt_marks = false;
  // Cgroups (paths below the cgroup root, as /proc/PID/cgroup writes them)
  // whose processes may be VMs svirt did not start: their labels' categories
  // are never handed out. libvirt runs its VMs in systemd's machine.slice.
  std::vector<std::string> vm_cgroups = {"/machine.slice"};

  // [paths]: where the stack keeps per-domain files the VM reaches; the
  // defaults are libvirt's. Absolute, stored without a trailing '/'.
  std::string swtpm_storage_dir = "/var/lib/libvirt/swtpm";   // DIR/<uuid>/tpm2 (or tpm1.2)
  std::string swtpm_log_dir = "/var/log/swtpm/libvirt/qemu";  // DIR/<name>-swtpm.log
  std::vector<std::string> hugetlbfs_mounts;  // key hugetlbfs_mount: MOUNT/libvirt/qemu/<name>
  std::string memory_backing_dir = "/var/lib/libvirt/qemu/ram";  // DIR/<name>

  // Parses key-file text. Unknown groups and keys are errors (a typo must
  // not silently weaken confinement); so are contexts that do not parse.
  static Result<Config> parse(std::string_view text, std::string_view origin = "config");
  static Result<Config> load_file(const std::string& path);
};

}  // namespace svirt
