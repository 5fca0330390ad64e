// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Safe parsing and serialization of untrusted XML documents with libxml2.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "svirt/domain.h"
#include "svirt/result.h"

namespace svirt::internal {

struct XmlDocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Parses `text` as an XML document without loading any DTD, expanding or
// fetching any entity, or touching the network. A document that declares a
// DOCTYPE or an entity, references a non-predefined entity, is not well formed
// or is larger than kMaxXmlBytes is refused with kInvalidInput. `what` names
// the document in error messages, e.g. "domain XML". Nothing is printed.
//
// `max_bytes` is the size limit for untrusted input; format() passes no
// limit when it re-reads its own serialization of a document that was
// already vetted (serializing can make a document larger: '>' becomes
// "&gt;", indentation is added).
Result<XmlDocPtr> parse_xml_document(std::string_view text, std::string_view what,
                                     std::size_t max_bytes = svirt::kMaxXmlBytes);

// Writes `doc` indented, in UTF-8, without the XML declaration.
std::string serialize_xml_document(xmlDoc* doc);

}  // namespace svirt::internal
