// SPDX-License-Identifier: LGPL-2.1-or-later
#include "qemu_command.h"

namespace mini_dom0 {
namespace {

// qemu's option parser reads a ',' inside a value as ",,".
std::string escape_option_value(const std::string& value) {
  std::string out;
  for (char c : value) out += c == ',' ? std::string(",,") : std::string(1, c);
  return out;
}

}  // namespace

std::string serial_log_path(const svirt::DomainDef& def) {
  for (const svirt::Chardev& c : def.chardevs)
    if (c.role == svirt::ChardevRole::kSerial && c.type == svirt::ChardevType::kFile) return c.path;
  return "";
}

std::vector<std::string> qemu_argv(const svirt::DomainDef& def, const QemuOptions& options,
                                   std::string* error) {
  std::vector<std::string> argv = {options.binary, "-name", def.name, "-accel", options.accel, "-m",
                                   std::to_string(options.memory_mib),
                                   // Only what is asked for: no default NIC, monitor or display.
                                   "-nodefaults", "-no-user-config", "-display", "none", "-device",
                                   "isa-debug-exit,iobase=0xf4,iosize=0x04"};
  if (def.disks.empty()) {
    *error = "domain '" + def.name + "' has no disk to boot from";
    return {};
  }
  // With pass_fds, svirt hands over one descriptor per disk layer, from fd 3
  // up in declaration order (LaunchOptions); raw images have one layer each.
  // A qcow2 overlay is opened by path, and qemu follows its backing chain.
  int next_fd = 3;
  for (size_t i = 0; i < def.disks.size(); ++i) {
    const svirt::Disk& disk = def.disks[i];
    const std::string format = disk.source.format.empty() ? "raw" : disk.source.format;
    if (disk.source.type != svirt::DiskType::kFile || disk.source.path.empty() ||
        (format != "raw" && format != "qcow2") || (format == "raw" && disk.source.backing)) {
      *error = "domain '" + def.name + "': disk '" + disk.target +
               "' is not a raw or qcow2 file image (this example boots nothing else)";
      return {};
    }
    // qemu opens the layers below a qcow2 overlay itself, by the names in
    // its header: they cannot come from a descriptor set it was not given.
    if (options.pass_fds && format != "raw") {
      *error = "domain '" + def.name + "': disk '" + disk.target +
               "' is a qcow2 overlay: this example passes raw images only as descriptors";
      return {};
    }
    std::string file = disk.source.path;
    if (options.pass_fds) {
      int set = static_cast<int>(i) + 1;
      argv.insert(argv.end(),
                  {"-add-fd", "fd=" + std::to_string(next_fd++) + ",set=" + std::to_string(set)});
      file = "/dev/fdset/" + std::to_string(set);
    }
    std::string drive =
        "file=" + escape_option_value(file) + ",format=" + format + ",if=ide,index=" +
        std::to_string(i);
    // IDE hard disks cannot be read-only: a read-only disk is attached as a CD.
    if (disk.readonly) drive += ",media=cdrom,readonly=on";
    // Otherwise qemu first asks an fd set for a read-only descriptor, and the
    // set holds only the one svirt opened with the disk's own access mode.
    if (options.pass_fds) drive += ",auto-read-only=off";
    argv.insert(argv.end(), {"-drive", drive});
  }
  std::string log = serial_log_path(def);
  if (!log.empty()) {
    argv.insert(argv.end(), {"-chardev", "file,id=serial0,path=" + escape_option_value(log),
                             "-serial", "chardev:serial0"});
  }
  return argv;
}

}  // namespace mini_dom0
