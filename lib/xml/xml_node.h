// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Small read helpers over libxml2 element trees.
#pragma once

#include "core/quote.h"

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/result.h"

namespace svirt::internal {

// True when `node` is an element named `name` in no namespace.
bool is_element(const xmlNode* node, std::string_view name);

// The element's name as a string ("" for a null node).
std::string element_name(const xmlNode* node);

// The value of the attribute `name` (no namespace), if present.
std::optional<std::string> attr(const xmlNode* node, const char* name);

// Concatenated text content of `node`.
std::string text_of(const xmlNode* node);

// First child element named `name`, or null.
xmlNode* first_child(const xmlNode* node, std::string_view name);

// Every child element named `name`, in document order.
std::vector<xmlNode*> children_named(const xmlNode* node, std::string_view name);

// Every child element, in document order.
std::vector<xmlNode*> child_elements(const xmlNode* node);

// Parses a non-negative number written in decimal or as 0x hex. `what` names
// the value in the error, e.g. "hostdev usb: <address bus=>".
Result<int> parse_number(std::string_view text, std::string_view what);

// Parses an optional number attribute: -1 when absent.
Result<int> number_attr(const xmlNode* node, const char* name, std::string_view what);

// Parses 'yes'/'no'.
Result<bool> parse_yes_no(std::string_view text, std::string_view what);

// Fails unless `path` is absolute; `what` names its owner.
Result<void> require_absolute(std::string_view path, std::string_view what);


}  // namespace svirt::internal
