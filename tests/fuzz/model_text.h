// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Every modelled field of a parsed domain or device as text, so harnesses can
// compare two parses field by field and print the difference when they do not
// agree. The model types have no operator==; writing all fields out also
// catches a field a future equality operator would forget.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "svirt/domain.h"

namespace svirt::fuzz {

inline void add_field(std::string* out, const char* name, const std::string& value) {
  *out += name;
  *out += "=[";
  *out += value;
  *out += "] ";
}

inline void add_field(std::string* out, const char* name, int value) {
  add_field(out, name, std::to_string(value));
}

inline void add_field(std::string* out, const char* name, const std::optional<std::string>& v) {
  add_field(out, name, v ? "\"" + *v + "\"" : std::string("(unset)"));
}

inline std::string source_labels_text(const std::vector<SourceSecLabel>& labels) {
  std::string out;
  for (const SourceSecLabel& s : labels) {
    out += "{";
    add_field(&out, "model", s.model);
    add_field(&out, "relabel", s.relabel ? 1 : 0);
    add_field(&out, "label", s.label);
    out += "}";
  }
  return out;
}

inline std::string disk_text(const Disk& d) {
  std::string out = "disk ";
  add_field(&out, "device", static_cast<int>(d.device));
  add_field(&out, "target", d.target);
  add_field(&out, "readonly", d.readonly ? 1 : 0);
  add_field(&out, "shareable", d.shareable ? 1 : 0);
  for (const DiskSource* s = &d.source; s != nullptr; s = s->backing.get()) {
    out += "\n  layer ";
    add_field(&out, "type", static_cast<int>(s->type));
    add_field(&out, "path", s->path);
    add_field(&out, "format", s->format);
    add_field(&out, "seclabels", source_labels_text(s->seclabels));
  }
  return out + "\n";
}

inline std::string chardev_text(const Chardev& c) {
  std::string out = "chardev ";
  add_field(&out, "name", c.name());
  add_field(&out, "type", static_cast<int>(c.type));
  add_field(&out, "path", c.path);
  add_field(&out, "bind", c.bind ? 1 : 0);
  add_field(&out, "seclabels", source_labels_text(c.seclabels));
  return out + "\n";
}

inline std::string hostdev_text(const Hostdev& h) {
  std::string out = "hostdev ";
  add_field(&out, "type", static_cast<int>(h.type));
  add_field(&out, "usb",
            std::to_string(h.usb_bus) + "," + std::to_string(h.usb_device) + "," +
                std::to_string(h.usb_vendor) + "," + std::to_string(h.usb_product));
  add_field(&out, "pci",
            std::to_string(h.pci_domain) + "," + std::to_string(h.pci_bus) + "," +
                std::to_string(h.pci_slot) + "," + std::to_string(h.pci_function));
  add_field(&out, "scsi",
            h.scsi_adapter + "," + std::to_string(h.scsi_bus) + "," +
                std::to_string(h.scsi_target) + "," + std::to_string(h.scsi_unit));
  add_field(&out, "mdev", h.mdev_uuid);
  add_field(&out, "readonly", h.readonly ? 1 : 0);
  add_field(&out, "shareable", h.shareable ? 1 : 0);
  return out + "\n";
}

inline std::string filesystem_text(const Filesystem& fs) {
  std::string out = "filesystem ";
  add_field(&out, "source", fs.source_dir);
  add_field(&out, "target", fs.target);
  add_field(&out, "readonly", fs.readonly ? 1 : 0);
  return out + "\n";
}

// relabel_explicit is left out on purpose: format() always writes relabel=,
// so it becomes explicit after one round trip.
inline std::string domain_text(const DomainDef& def) {
  std::string out = "domain ";
  add_field(&out, "type", def.type);
  add_field(&out, "name", def.name);
  add_field(&out, "uuid", def.uuid);
  out += "\n";
  for (const SecLabelDef& l : def.seclabels) {
    out += "seclabel ";
    add_field(&out, "model", l.model);
    add_field(&out, "type", static_cast<int>(l.type));
    add_field(&out, "relabel", l.relabel ? 1 : 0);
    add_field(&out, "label", l.label);
    add_field(&out, "imagelabel", l.imagelabel);
    add_field(&out, "baselabel", l.baselabel);
    out += "\n";
  }
  out += "os ";
  add_field(&out, "kernel", def.os.kernel);
  add_field(&out, "initrd", def.os.initrd);
  add_field(&out, "dtb", def.os.dtb);
  add_field(&out, "loader", def.os.loader);
  add_field(&out, "loader_readonly", def.os.loader_readonly ? 1 : 0);
  add_field(&out, "nvram", def.os.nvram);
  out += "\n";
  for (const Disk& d : def.disks) out += disk_text(d);
  for (const Chardev& c : def.chardevs) out += chardev_text(c);
  for (const Hostdev& h : def.hostdevs) out += hostdev_text(h);
  for (const Filesystem& fs : def.filesystems) out += filesystem_text(fs);
  for (const Tpm& t : def.tpms) {
    out += "tpm ";
    add_field(&out, "backend", t.backend);
    add_field(&out, "device", t.device_path);
    out += "\n";
  }
  for (const MemoryDevice& m : def.memory_devices) {
    out += "memory ";
    add_field(&out, "model", m.model);
    add_field(&out, "path", m.path);
    out += "\n";
  }
  return out;
}

}  // namespace svirt::fuzz
