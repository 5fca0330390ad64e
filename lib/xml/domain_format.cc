// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DomainDef::format: the kept document with identity and seclabels written
// from the fields.
#include <string>
#include <vector>

#include "svirt/domain.h"
#include "xml/chain_format.h"
#include "xml/domain_access.h"
#include "xml/domain_skeleton.h"

#include <cassert>
#include <limits>
#include "xml/seclabel_parse.h"
#include "xml/xml_build.h"
#include "xml/xml_doc.h"
#include "xml/xml_node.h"

namespace svirt {
namespace {

using internal::add_text_element;
using internal::first_child;
using internal::set_attr;

xmlNode* make_seclabel(xmlDoc* doc, const SecLabelDef& l, FormatMode mode) {
  xmlNode* n = internal::new_element(doc, "seclabel");
  set_attr(n, "type", internal::seclabel_type_name(l.type));
  if (!l.model.empty()) set_attr(n, "model", l.model);
  // As libvirt: a 'none' label is only its type and model.
  if (l.type == SeclabelType::kNone) return n;
  set_attr(n, "relabel", l.relabel ? "yes" : "no");
  // Dynamic labels are generated at start: the inactive form leaves them out.
  bool generated = l.type == SeclabelType::kDynamic || l.type == SeclabelType::kDefault;
  bool with_generated = !generated || mode == FormatMode::kLive;
  if (l.label && with_generated) add_text_element(n, "label", *l.label);
  if (l.imagelabel && l.relabel && with_generated) {
    add_text_element(n, "imagelabel", *l.imagelabel);
  }
  if (l.baselabel && generated) add_text_element(n, "baselabel", *l.baselabel);
  return n;
}

void sync_identity(xmlNode* root, const DomainDef& def) {
  if (!def.type.empty()) set_attr(root, "type", def.type);
  xmlNode* name = first_child(root, "name");
  if (name == nullptr) {
    name = internal::new_element(root->doc, "name");
    if (root->children != nullptr) {
      xmlAddPrevSibling(root->children, name);
    } else {
      xmlAddChild(root, name);
    }
  }
  internal::set_text(name, def.name);
  xmlNode* uuid = first_child(root, "uuid");
  if (def.uuid.empty()) {
    if (uuid != nullptr) {
      xmlUnlinkNode(uuid);
      xmlFreeNode(uuid);
    }
    return;
  }
  if (uuid == nullptr) {
    uuid = xmlAddNextSibling(name, internal::new_element(root->doc, "uuid"));
  }
  internal::set_text(uuid, def.uuid);
}

// The new seclabels take the place of the first old one; without any, they
// go after <devices> (libvirt's order), else at the end.
void replace_seclabels(xmlNode* root, const std::vector<SecLabelDef>& labels, FormatMode mode) {
  std::vector<xmlNode*> old = internal::children_named(root, "seclabel");
  xmlNode* anchor = nullptr;  // insert after this; null means before old[0] / append
  if (old.empty()) anchor = first_child(root, "devices");
  for (const SecLabelDef& l : labels) {
    xmlNode* n = make_seclabel(root->doc, l, mode);
    if (anchor != nullptr) {
      anchor = xmlAddNextSibling(anchor, n);
    } else if (!old.empty()) {
      xmlAddPrevSibling(old.front(), n);
    } else {
      xmlAddChild(root, n);
    }
  }
  for (xmlNode* n : old) {
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }
}

}  // namespace

std::string DomainDef::format(FormatMode mode) const {
  internal::XmlDocPtr doc;
  if (!original_xml_.empty()) {
    // Our own serialization of a vetted document: no size limit, and it
    // must parse; falling back to the skeleton would silently drop elements.
    Result<internal::XmlDocPtr> parsed = internal::parse_xml_document(
        original_xml_, "domain XML", std::numeric_limits<std::size_t>::max());
    assert(parsed.ok());
    if (parsed) doc = std::move(parsed).value();
  }
  // A definition built in code has no document: write what it models.
  if (!doc) doc = internal::build_domain_skeleton(*this);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  sync_identity(root, *this);
  // A skeleton holds the discovered layers already.
  if (!original_xml_.empty()) internal::write_discovered_chains(root, disks);
  replace_seclabels(root, seclabels, mode);
  return internal::serialize_xml_document(doc.get());
}

}  // namespace svirt
