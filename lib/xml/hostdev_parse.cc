// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string>

#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

// Reads attribute `name` of `node` as a number no larger than `max`; -1 when
// absent.
Result<int> bounded(const xmlNode* node, const char* name, int max, const std::string& who) {
  const std::string what = who + ": <" + element_name(node) + " " + name + "=>";
  Result<int> v = number_attr(node, name, what);
  if (!v) return v.error();
  if (*v > max) {
    return invalid(what + ": " + std::to_string(*v) + " is larger than " + std::to_string(max));
  }
  return *v;
}

Result<void> parse_usb(const xmlNode* source, const std::string& who, Hostdev* h) {
  if (const xmlNode* vendor = first_child(source, "vendor")) {
    Result<int> v = bounded(vendor, "id", 0xffff, who);
    if (!v) return v.error();
    h->usb_vendor = *v;
  }
  if (const xmlNode* product = first_child(source, "product")) {
    Result<int> v = bounded(product, "id", 0xffff, who);
    if (!v) return v.error();
    h->usb_product = *v;
  }
  if (const xmlNode* address = first_child(source, "address")) {
    Result<int> bus = bounded(address, "bus", 0xffff, who);
    if (!bus) return bus.error();
    Result<int> device = bounded(address, "device", 0xffff, who);
    if (!device) return device.error();
    h->usb_bus = *bus;
    h->usb_device = *device;
    if ((h->usb_bus < 0) != (h->usb_device < 0)) {
      return invalid(who + ": <address> needs both bus= and device=");
    }
  }
  if ((h->usb_vendor < 0) != (h->usb_product < 0)) {
    return invalid(who + ": <vendor id=> and <product id=> go together");
  }
  if (h->usb_vendor < 0 && h->usb_bus < 0) {
    return invalid(who + ": <source> needs <vendor>/<product> or <address bus= device=>");
  }
  return ok();
}

Result<void> parse_pci(const xmlNode* source, const std::string& who, Hostdev* h) {
  Result<PciAddress> a = parse_pci_address(first_child(source, "address"), who);
  if (!a) return a.error();
  h->pci_domain = a->domain;
  h->pci_bus = a->bus;
  h->pci_slot = a->slot;
  h->pci_function = a->function;
  return ok();
}

Result<void> parse_scsi(const xmlNode* source, const std::string& who, Hostdev* h) {
  // iSCSI hostdevs name a remote LUN, nothing on the host to label.
  std::string protocol = attr(source, "protocol").value_or("adapter");
  if (protocol == "iscsi") {
    h->scsi_iscsi = true;
    return ok();
  }
  if (protocol != "adapter")
    return invalid(who + ": <source protocol=" + quoted(protocol) + ">: not 'adapter' or 'iscsi'");
  const xmlNode* adapter = first_child(source, "adapter");
  std::optional<std::string> name = adapter ? attr(adapter, "name") : std::nullopt;
  if (!name || name->empty()) return invalid(who + ": <source> needs <adapter name=>");
  h->scsi_adapter = *name;
  const xmlNode* address = first_child(source, "address");
  if (address == nullptr) return invalid(who + ": <source> needs <address>");
  Result<int> bus = number_attr(address, "bus", who + ": <address bus=>");
  if (!bus) return bus.error();
  Result<int> target = number_attr(address, "target", who + ": <address target=>");
  if (!target) return target.error();
  Result<int> unit = number_attr(address, "unit", who + ": <address unit=>");
  if (!unit) return unit.error();
  if (*bus < 0 || *target < 0 || *unit < 0) {
    return invalid(who + ": <address> needs bus=, target= and unit=");
  }
  h->scsi_bus = *bus;
  h->scsi_target = *target;
  h->scsi_unit = *unit;
  return ok();
}

Result<void> parse_mdev(const xmlNode* source, const std::string& who, Hostdev* h) {
  const xmlNode* address = first_child(source, "address");
  std::optional<std::string> uuid = address ? attr(address, "uuid") : std::nullopt;
  if (!uuid || uuid->empty()) return invalid(who + ": <source> needs <address uuid=>");
  // The uuid becomes a sysfs path component: refuse anything but a UUID.
  for (char c : *uuid) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != '-') return invalid(who + ": " + quoted(*uuid) + " is not a UUID");
  }
  h->mdev_uuid = *uuid;
  return ok();
}

// vhost-scsi: the host's target is named by its WWPN.
Result<void> parse_scsi_host(const xmlNode* source, const std::string& who, Hostdev* h) {
  std::string protocol = attr(source, "protocol").value_or("");
  if (protocol != "vhost")
    return invalid(who + ": <source protocol=" + quoted(protocol) + ">: must be 'vhost'");
  h->scsi_host_wwpn = attr(source, "wwpn").value_or("");
  if (h->scsi_host_wwpn.empty()) return invalid(who + ": <source> needs wwpn=");
  return ok();
}

// mode='capabilities': a host device node (storage, misc) or network
// interface (net) named by the text of one <source> child.
Result<Hostdev> parse_capabilities(const xmlNode* node, Hostdev h) {
  std::string type = attr(node, "type").value_or("");
  const std::string who = "hostdev capabilities " + quoted(type);
  const char* child = nullptr;
  if (type == "storage") {
    h.type = HostdevType::kCapsStorage;
    child = "block";
  } else if (type == "misc") {
    h.type = HostdevType::kCapsMisc;
    child = "char";
  } else if (type == "net") {
    h.type = HostdevType::kCapsNet;
    child = "interface";
  } else {
    return invalid(who + ": unknown type (expected storage, misc or net)");
  }
  const xmlNode* n = first_child(first_child(node, "source"), child);
  if (n != nullptr) h.caps_source = text_of(n);
  if (h.caps_source.empty()) return invalid(who + ": missing <source><" + child + ">");
  if (h.type != HostdevType::kCapsNet)
    SVIRT_TRY(require_absolute(h.caps_source, who + ": <source><" + child + ">"));
  return h;
}

}  // namespace

Result<PciAddress> parse_pci_address(const xmlNode* address, const std::string& who) {
  if (address == nullptr) return invalid(who + ": <source> needs <address>");
  Result<int> domain = bounded(address, "domain", 0xffff, who);
  if (!domain) return domain.error();
  Result<int> bus = bounded(address, "bus", 0xff, who);
  if (!bus) return bus.error();
  Result<int> slot = bounded(address, "slot", 0x1f, who);
  if (!slot) return slot.error();
  Result<int> function = bounded(address, "function", 7, who);
  if (!function) return function.error();
  if (*bus < 0 || *slot < 0) return invalid(who + ": <address> needs bus= and slot=");
  // libvirt takes a missing domain or function as 0.
  PciAddress a;
  a.domain = *domain < 0 ? 0 : *domain;
  a.bus = *bus;
  a.slot = *slot;
  a.function = *function < 0 ? 0 : *function;
  return a;
}

Result<Hostdev> parse_hostdev(const xmlNode* node) {
  Hostdev h;
  h.readonly = first_child(node, "readonly") != nullptr;
  h.shareable = first_child(node, "shareable") != nullptr;
  std::string mode = attr(node, "mode").value_or("subsystem");
  std::string type = attr(node, "type").value_or("");
  if (mode == "capabilities") return parse_capabilities(node, std::move(h));
  if (mode != "subsystem") {
    return invalid("hostdev: unknown mode " + quoted(mode) +
                   " (expected subsystem or capabilities)");
  }
  const std::string who = "hostdev " + (type.empty() ? std::string("(no type)") : type);
  if (type.empty()) return make_error(ErrorCode::kInvalidInput, "hostdev: missing type=");
  const xmlNode* source = first_child(node, "source");
  if (type == "usb")
    h.type = HostdevType::kUsb;
  else if (type == "pci")
    h.type = HostdevType::kPci;
  else if (type == "scsi")
    h.type = HostdevType::kScsi;
  else if (type == "mdev")
    h.type = HostdevType::kMdev;
  else if (type == "scsi_host")
    h.type = HostdevType::kScsiHost;
  else
    return invalid(who + ": unknown type (expected usb, pci, scsi, scsi_host or mdev)");
  if (source == nullptr) return invalid(who + ": missing <source>");
  switch (h.type) {
    case HostdevType::kUsb:
      SVIRT_TRY(parse_usb(source, who, &h));
      break;
    case HostdevType::kPci:
      SVIRT_TRY(parse_pci(source, who, &h));
      break;
    case HostdevType::kScsi:
      SVIRT_TRY(parse_scsi(source, who, &h));
      break;
    case HostdevType::kMdev:
      SVIRT_TRY(parse_mdev(source, who, &h));
      break;
    case HostdevType::kScsiHost:
      SVIRT_TRY(parse_scsi_host(source, who, &h));
      break;
    default:
      break;
  }
  return h;
}

}  // namespace svirt::internal
