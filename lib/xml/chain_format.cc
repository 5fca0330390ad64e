// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The parsed document holds the chain as the user wrote it; the layers the
// planner found below it exist only in the model until they are written here.
#include "xml/chain_format.h"

#include "xml/domain_skeleton.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

// The element the next layer goes into: the <disk>, or the deepest
// <backingStore> that is not an end marker (the walk the parser makes).
xmlNode* deepest_layer(xmlNode* disk) {
  xmlNode* node = disk;
  for (xmlNode* bs = first_child(node, "backingStore"); bs != nullptr;
       bs = first_child(bs, "backingStore")) {
    if (!attr(bs, "type") && child_elements(bs).empty()) break;
    node = bs;
  }
  return node;
}

const DiskSource* first_discovered(const Disk& d) {
  for (const DiskSource* l = d.source.backing.get(); l != nullptr; l = l->backing.get())
    if (l->discovered) return l;
  return nullptr;
}

}  // namespace

void write_discovered_chains(xmlNode* root, const std::vector<Disk>& disks) {
  std::vector<xmlNode*> nodes = children_named(first_child(root, "devices"), "disk");
  for (std::size_t i = 0; i < disks.size() && i < nodes.size(); ++i) {
    const DiskSource* layer = first_discovered(disks[i]);
    if (layer == nullptr) continue;
    xmlNode* target = first_child(nodes[i], "target");
    if (target == nullptr || attr(target, "dev") != disks[i].target) continue;
    xmlNode* chain = backing_store_element(root->doc, layer);
    if (chain == nullptr) continue;
    xmlNode* parent = deepest_layer(nodes[i]);
    // libvirt writes a disk's chain right after its <source>.
    xmlNode* source = parent == nodes[i] ? first_child(parent, "source") : nullptr;
    if (source != nullptr) {
      xmlAddNextSibling(source, chain);
    } else {
      xmlAddChild(parent, chain);
    }
  }
}

}  // namespace svirt::internal
