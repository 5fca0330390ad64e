// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/domain_skeleton.h"

#include <cstdio>
#include <string>

#include "xml/device_parse.h"
#include "xml/xml_build.h"

namespace svirt::internal {
namespace {

std::string hex(int value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, static_cast<unsigned>(value));
  return buf;
}

const char* disk_type_name(DiskType t) {
  switch (t) {
    case DiskType::kFile:
      return "file";
    case DiskType::kBlock:
      return "block";
    case DiskType::kDir:
      return "dir";
    case DiskType::kNetwork:
      return "network";
    case DiskType::kVolume:
      return "volume";
    case DiskType::kNvme:
      return "nvme";
    case DiskType::kVhostUser:
      return "vhostuser";
    case DiskType::kVhostVdpa:
      return "vhostvdpa";
  }
  return "file";
}

const char* disk_device_name(DiskDevice d) {
  switch (d) {
    case DiskDevice::kDisk:
      return "disk";
    case DiskDevice::kCdrom:
      return "cdrom";
    case DiskDevice::kFloppy:
      return "floppy";
    case DiskDevice::kLun:
      return "lun";
  }
  return "disk";
}

const char* source_attr(DiskType t) {
  switch (t) {
    case DiskType::kFile:
      return "file";
    case DiskType::kBlock:
    case DiskType::kVhostVdpa:
      return "dev";
    case DiskType::kDir:
      return "dir";
    case DiskType::kVhostUser:
      return "path";
    default:
      return nullptr;
  }
}

void add_source_seclabels(xmlNode* source, const std::vector<SourceSecLabel>& labels) {
  for (const SourceSecLabel& s : labels) {
    xmlNode* n = add_element(source, "seclabel");
    if (!s.model.empty()) set_attr(n, "model", s.model);
    set_attr(n, "relabel", s.relabel ? "yes" : "no");
    if (s.label) add_text_element(n, "label", *s.label);
  }
}

void set_pci_address(xmlNode* a, const PciAddress& pci) {
  set_attr(a, "domain", hex(pci.domain, 4));
  set_attr(a, "bus", hex(pci.bus, 2));
  set_attr(a, "slot", hex(pci.slot, 2));
  set_attr(a, "function", hex(pci.function, 1));
}

void add_disk_source(xmlNode* parent, const DiskSource& src) {
  bool named = (src.type == DiskType::kNetwork && !src.protocol.empty()) ||
               (src.type == DiskType::kVolume && !src.pool.empty()) ||
               (src.type == DiskType::kNvme && src.nvme.bus >= 0);
  if (src.path.empty() && src.seclabels.empty() && !named) return;
  xmlNode* source = add_element(parent, "source");
  const char* a = source_attr(src.type);
  if (a != nullptr && !src.path.empty()) set_attr(source, a, src.path);
  if (src.type == DiskType::kVhostUser) set_attr(source, "type", "unix");
  if (src.type == DiskType::kNetwork) {
    if (!src.protocol.empty()) set_attr(source, "protocol", src.protocol);
    if (!src.name.empty()) set_attr(source, "name", src.name);
  }
  if (src.type == DiskType::kVolume) {
    if (!src.pool.empty()) set_attr(source, "pool", src.pool);
    if (!src.volume.empty()) set_attr(source, "volume", src.volume);
  }
  if (src.type == DiskType::kNvme) {
    set_attr(source, "type", "pci");
    if (src.nvme.bus >= 0) set_pci_address(add_element(source, "address"), src.nvme);
  }
  add_source_seclabels(source, src.seclabels);
}

}  // namespace

xmlNode* backing_store_element(xmlDoc* doc, const DiskSource* layer) {
  xmlNode* first = nullptr;
  xmlNode* parent = nullptr;
  for (; layer != nullptr; layer = layer->backing.get()) {
    // A network location found in a header is no layer libvirt's XML could
    // describe from a bare name: the chain is left open above it, so the
    // planner reads that header again and reports it.
    if (layer->discovered && layer->type == DiskType::kNetwork) return first;
    xmlNode* bs = new_element(doc, "backingStore");
    if (first == nullptr) {
      first = bs;
    } else {
      xmlAddChild(parent, bs);
    }
    parent = bs;
    set_attr(bs, "type", disk_type_name(layer->type));
    if (!layer->format.empty()) set_attr(add_element(bs, "format"), "type", layer->format);
    add_disk_source(bs, *layer);
  }
  if (parent != nullptr) add_element(parent, "backingStore");
  return first;
}

namespace {

void add_disk(xmlNode* devices, const Disk& d) {
  xmlNode* n = add_element(devices, "disk");
  set_attr(n, "type", disk_type_name(d.source.type));
  set_attr(n, "device", disk_device_name(d.device));
  if (!d.source.format.empty()) {
    set_attr(add_element(n, "driver"), "type", d.source.format);
  }
  add_disk_source(n, d.source);
  if (xmlNode* chain = backing_store_element(n->doc, d.source.backing.get()))
    xmlAddChild(n, chain);
  set_attr(add_element(n, "target"), "dev", d.target);
  if (d.readonly) add_element(n, "readonly");
  if (d.shareable) add_element(n, "shareable");
}

void add_chardev(xmlNode* devices, const Chardev& c) {
  xmlNode* n = add_element(devices, chardev_role_name(c.role));
  // A type the parser does not know is written as the one without a source.
  set_attr(n, "type", c.type == ChardevType::kOther ? "null" : chardev_type_name(c.type));
  // A bind-mode unix socket without a path still needs <source mode="bind">.
  if (!c.path.empty() || !c.seclabels.empty() || (c.type == ChardevType::kUnix && c.bind)) {
    xmlNode* source = add_element(n, "source");
    if (!c.path.empty()) set_attr(source, "path", c.path);
    if (c.type == ChardevType::kUnix) set_attr(source, "mode", c.bind ? "bind" : "connect");
    add_source_seclabels(source, c.seclabels);
  }
  if (!c.log_file.empty()) set_attr(add_element(n, "log"), "file", c.log_file);
}

void add_hostdev(xmlNode* devices, const Hostdev& h) {
  xmlNode* n = add_element(devices, "hostdev");
  set_attr(n, "mode", "subsystem");
  xmlNode* source = nullptr;
  switch (h.type) {
    case HostdevType::kUsb:
      set_attr(n, "type", "usb");
      source = add_element(n, "source");
      if (h.usb_vendor >= 0) set_attr(add_element(source, "vendor"), "id", hex(h.usb_vendor, 4));
      if (h.usb_product >= 0) {
        set_attr(add_element(source, "product"), "id", hex(h.usb_product, 4));
      }
      if (h.usb_bus >= 0) {
        xmlNode* a = add_element(source, "address");
        set_attr(a, "bus", std::to_string(h.usb_bus));
        set_attr(a, "device", std::to_string(h.usb_device));
      }
      break;
    case HostdevType::kPci: {
      set_attr(n, "type", "pci");
      xmlNode* a = add_element(add_element(n, "source"), "address");
      set_pci_address(a, PciAddress{h.pci_domain, h.pci_bus, h.pci_slot, h.pci_function});
      break;
    }
    case HostdevType::kScsi: {
      set_attr(n, "type", "scsi");
      source = add_element(n, "source");
      if (h.scsi_iscsi) {
        // The remote LUN's name and host are not modelled.
        set_attr(source, "protocol", "iscsi");
        break;
      }
      set_attr(add_element(source, "adapter"), "name", h.scsi_adapter);
      xmlNode* a = add_element(source, "address");
      set_attr(a, "bus", std::to_string(h.scsi_bus));
      set_attr(a, "target", std::to_string(h.scsi_target));
      set_attr(a, "unit", std::to_string(h.scsi_unit));
      break;
    }
    case HostdevType::kMdev:
      set_attr(n, "type", "mdev");
      set_attr(add_element(add_element(n, "source"), "address"), "uuid", h.mdev_uuid);
      break;
    case HostdevType::kScsiHost:
      set_attr(n, "type", "scsi_host");
      source = add_element(n, "source");
      set_attr(source, "protocol", "vhost");
      set_attr(source, "wwpn", h.scsi_host_wwpn);
      break;
    case HostdevType::kCapsStorage:
    case HostdevType::kCapsMisc:
    case HostdevType::kCapsNet: {
      const char* type = h.type == HostdevType::kCapsStorage ? "storage"
                         : h.type == HostdevType::kCapsMisc  ? "misc"
                                                             : "net";
      const char* child = h.type == HostdevType::kCapsStorage ? "block"
                          : h.type == HostdevType::kCapsMisc  ? "char"
                                                              : "interface";
      set_attr(n, "mode", "capabilities");
      set_attr(n, "type", type);
      add_text_element(add_element(n, "source"), child, h.caps_source);
      break;
    }
    case HostdevType::kOther:
      // Nothing modelled to write back faithfully.
      xmlUnlinkNode(n);
      xmlFreeNode(n);
      return;
  }
  if (h.readonly) add_element(n, "readonly");
  if (h.shareable) add_element(n, "shareable");
}

void add_filesystem(xmlNode* devices, const Filesystem& fs) {
  xmlNode* n = add_element(devices, "filesystem");
  set_attr(n, "type", filesystem_type_name(fs.type));
  xmlNode* source = nullptr;
  auto src = [&]() { return source != nullptr ? source : (source = add_element(n, "source")); };
  switch (fs.type) {
    case FilesystemType::kMount:
    case FilesystemType::kBind:
      if (!fs.source_dir.empty()) set_attr(src(), "dir", fs.source_dir);
      if (!fs.socket.empty() && fs.type == FilesystemType::kMount)
        set_attr(src(), "socket", fs.socket);
      break;
    case FilesystemType::kFile:
      set_attr(src(), "file", fs.source);
      break;
    case FilesystemType::kBlock:
      set_attr(src(), "dev", fs.source);
      break;
    case FilesystemType::kTemplate:
      set_attr(src(), "name", fs.source);
      break;
    case FilesystemType::kVolume: {
      std::size_t slash = fs.source.find('/');
      set_attr(src(), "pool", fs.source.substr(0, slash));
      set_attr(src(), "volume", slash == std::string::npos ? "" : fs.source.substr(slash + 1));
      break;
    }
    case FilesystemType::kRam:
      break;
  }
  set_attr(add_element(n, "target"), "dir", fs.target);
  if (fs.readonly) add_element(n, "readonly");
}

void add_interface(xmlNode* devices, const Interface& i) {
  xmlNode* n = add_element(devices, "interface");
  set_attr(n, "type", interface_type_name(i.type));
  switch (i.type) {
    case InterfaceType::kVhostUser: {
      xmlNode* source = add_element(n, "source");
      set_attr(source, "type", "unix");
      set_attr(source, "path", i.path);
      set_attr(source, "mode", i.server ? "server" : "client");
      break;
    }
    case InterfaceType::kVdpa:
      set_attr(add_element(n, "source"), "dev", i.path);
      break;
    case InterfaceType::kHostdev: {
      xmlNode* a = add_element(add_element(n, "source"), "address");
      set_attr(a, "type", "pci");
      set_pci_address(a, i.pci);
      break;
    }
    default:
      break;
  }
}

void add_os(xmlNode* root, const OsDef& os) {
  xmlNode* n = add_element(root, "os");
  add_text_element(n, "type", "hvm");
  if (!os.loader.empty()) {
    xmlNode* l = add_text_element(n, "loader", os.loader);
    set_attr(l, "readonly", os.loader_readonly ? "yes" : "no");
  }
  if (!os.nvram.empty()) add_text_element(n, "nvram", os.nvram);
  if (!os.kernel.empty()) add_text_element(n, "kernel", os.kernel);
  if (!os.initrd.empty()) add_text_element(n, "initrd", os.initrd);
  if (!os.dtb.empty()) add_text_element(n, "dtb", os.dtb);
}

void add_tpm(xmlNode* devices, const Tpm& t) {
  xmlNode* b = add_element(add_element(devices, "tpm"), "backend");
  set_attr(b, "type", t.backend);
  if (t.backend == "emulator") {
    // Written out, so parsing it back does not apply the model's default.
    set_attr(b, "version", t.version.empty() ? "2.0" : t.version);
    if (!t.state_type.empty()) {
      xmlNode* source = add_element(b, "source");
      set_attr(source, "type", t.state_type);
      set_attr(source, "path", t.state_path);
    }
  }
  if (!t.device_path.empty()) set_attr(add_element(b, "device"), "path", t.device_path);
}

void add_memory_backing(xmlNode* root, const MemoryBacking& mb) {
  if (!mb.hugepages && mb.source_type.empty()) return;
  xmlNode* n = add_element(root, "memoryBacking");
  if (mb.hugepages) {
    xmlNode* huge = add_element(n, "hugepages");
    for (const HugePage& p : mb.pages) {
      xmlNode* page = add_element(huge, "page");
      set_attr(page, "size", std::to_string(p.size_kib));
      set_attr(page, "unit", "KiB");
      if (!p.nodeset.empty()) set_attr(page, "nodeset", p.nodeset);
    }
  }
  if (!mb.source_type.empty()) set_attr(add_element(n, "source"), "type", mb.source_type);
}

}  // namespace

XmlDocPtr build_domain_skeleton(const DomainDef& def) {
  XmlDocPtr doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlNode* root = new_element(doc.get(), "domain");
  xmlDocSetRootElement(doc.get(), root);
  set_attr(root, "type", def.type.empty() ? "kvm" : def.type);
  add_memory_backing(root, def.memory_backing);
  add_os(root, def.os);
  xmlNode* devices = add_element(root, "devices");
  for (const Disk& d : def.disks) add_disk(devices, d);
  for (const Filesystem& fs : def.filesystems) add_filesystem(devices, fs);
  for (const Interface& i : def.interfaces) add_interface(devices, i);
  for (const Hostdev& h : def.hostdevs) add_hostdev(devices, h);
  for (const Chardev& c : def.chardevs) add_chardev(devices, c);
  for (const Tpm& t : def.tpms) add_tpm(devices, t);
  for (const MemoryDevice& m : def.memory_devices) {
    xmlNode* n = add_element(devices, "memory");
    set_attr(n, "model", m.model);
    add_text_element(add_element(n, "source"), "path", m.path);
  }
  return doc;
}

}  // namespace svirt::internal
