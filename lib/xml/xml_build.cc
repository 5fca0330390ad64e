// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/xml_build.h"

namespace svirt::internal {
namespace {

const xmlChar* x(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

}  // namespace

xmlNode* new_element(xmlDoc* doc, const char* name) {
  return xmlNewDocNode(doc, nullptr, x(name), nullptr);
}

xmlNode* add_element(xmlNode* parent, const char* name) {
  return xmlAddChild(parent, new_element(parent->doc, name));
}

xmlNode* add_text_element(xmlNode* parent, const char* name, const std::string& text) {
  xmlNode* n = add_element(parent, name);
  set_text(n, text);
  return n;
}

void set_attr(xmlNode* node, const char* name, const std::string& value) {
  xmlSetProp(node, x(name), x(value.c_str()));
}

void set_text(xmlNode* node, const std::string& text) {
  while (node->children != nullptr) {
    xmlNode* c = node->children;
    xmlUnlinkNode(c);
    xmlFreeNode(c);
  }
  xmlAddChild(node, xmlNewDocText(node->doc, x(text.c_str())));
}

}  // namespace svirt::internal
