// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Small write helpers over libxml2 element trees. Text and attribute values
// are stored raw and escaped on output, never parsed for entities.
#pragma once

#include <libxml/tree.h>

#include <string>

namespace svirt::internal {

// Appends a new empty child element.
xmlNode* add_element(xmlNode* parent, const char* name);

// Appends a new child element holding `text`.
xmlNode* add_text_element(xmlNode* parent, const char* name, const std::string& text);

// Creates an element that is not yet in the tree.
xmlNode* new_element(xmlDoc* doc, const char* name);

void set_attr(xmlNode* node, const char* name, const std::string& value);

// Replaces every child of `node` by one text node.
void set_text(xmlNode* node, const std::string& text);

}  // namespace svirt::internal
