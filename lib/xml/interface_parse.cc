// SPDX-License-Identifier: LGPL-2.1-or-later
//
// <interface>: the type, and the host file the few types that have one name
// (a vhost-user socket, a vDPA device node, a PCI device).
#include <optional>
#include <string>
#include <string_view>

#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

struct InterfaceTypeName {
  InterfaceType type;
  const char* name;
};

constexpr InterfaceTypeName kInterfaceTypes[] = {
    {InterfaceType::kNetwork, "network"},
    {InterfaceType::kBridge, "bridge"},
    {InterfaceType::kDirect, "direct"},
    {InterfaceType::kHostdev, "hostdev"},
    {InterfaceType::kUser, "user"},
    {InterfaceType::kEthernet, "ethernet"},
    {InterfaceType::kVhostUser, "vhostuser"},
    {InterfaceType::kServer, "server"},
    {InterfaceType::kClient, "client"},
    {InterfaceType::kMcast, "mcast"},
    {InterfaceType::kUdp, "udp"},
    {InterfaceType::kVdpa, "vdpa"},
    {InterfaceType::kNull, "null"},
    {InterfaceType::kVds, "vds"},
    {InterfaceType::kInternal, "internal"},
};

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

}  // namespace

const char* interface_type_name(InterfaceType type) {
  for (const InterfaceTypeName& t : kInterfaceTypes)
    if (t.type == type) return t.name;
  return "user";
}

Result<Interface> parse_interface(const xmlNode* node, int index) {
  Interface n;
  n.index = index;
  const std::string who = "interface net" + std::to_string(index);
  // libvirt's default interface type is user.
  std::string type = attr(node, "type").value_or("user");
  bool known = false;
  for (const InterfaceTypeName& t : kInterfaceTypes) {
    if (type != t.name) continue;
    n.type = t.type;
    known = true;
  }
  if (!known) return invalid(who + ": unknown type " + quoted(type));
  const xmlNode* source = first_child(node, "source");
  switch (n.type) {
    case InterfaceType::kVhostUser: {
      std::string stype = attr(source, "type").value_or("");
      if (stype != "unix")
        return invalid(who + ": vhostuser <source type=" + quoted(stype) + ">: must be 'unix'");
      n.path = attr(source, "path").value_or("");
      if (n.path.empty()) return invalid(who + ": vhostuser <source> needs path=");
      SVIRT_TRY(require_absolute(n.path, who + ": source"));
      std::string mode = attr(source, "mode").value_or("");
      if (mode != "server" && mode != "client")
        return invalid(who + ": vhostuser <source mode=" + quoted(mode) +
                       ">: must be 'server' or 'client'");
      n.server = mode == "server";
      break;
    }
    case InterfaceType::kVdpa:
      n.path = attr(source, "dev").value_or("");
      if (n.path.empty()) return invalid(who + ": vdpa <source> needs dev=");
      SVIRT_TRY(require_absolute(n.path, who + ": source"));
      break;
    case InterfaceType::kHostdev: {
      const xmlNode* address = first_child(source, "address");
      std::string atype = attr(address, "type").value_or("pci");
      if (atype != "pci")
        return invalid(who + ": hostdev <address type=" + quoted(atype) + ">: must be 'pci'");
      Result<PciAddress> a = parse_pci_address(address, who);
      if (!a) return a.error();
      n.pci = *a;
      break;
    }
    default:
      break;
  }
  return n;
}

}  // namespace svirt::internal
