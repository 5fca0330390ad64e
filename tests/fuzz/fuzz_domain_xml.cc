// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Domain XML parser, validator and formatter under libFuzzer.
//
// Properties, for any input DomainDef::parse accepts, in both format modes:
//   - format()'s output parses again (svirt must accept what it writes);
//   - formatting that second parse gives the same text (format is a fixed
//     point after one round);
//   - in live mode, the second parse models exactly the same fields (nothing
//     svirt models is lost or changed by writing it out);
//   - format() keeps every element and attribute of the input outside the
//     domain's own <seclabel>s, which it rewrites (nothing svirt does not
//     model is lost either);
//   - libxml2 never prints anything by itself.
// The same holds for the document format() builds from the fields alone
// (a definition with no kept XML), which is what a stack that builds a
// DomainDef in code gets.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "libxml_output.h"
#include "model_text.h"
#include "svirt/domain.h"
#include "xml/domain_access.h"

namespace {

using svirt::DomainDef;
using svirt::FormatMode;
using svirt::fuzz::check;
using svirt::fuzz::domain_text;
using svirt::fuzz::fail;

bool is_root_child(const xmlNode* node, const xmlNode* root, const char* name) {
  return node->parent == root && node->type == XML_ELEMENT_NODE && node->ns == nullptr &&
         xmlStrEqual(node->name, reinterpret_cast<const xmlChar*>(name));
}

// Elements plus attributes in the document, leaving out what format() writes
// from the fields: the root's own un-namespaced <seclabel>s, and the content
// of <name> and <uuid> (their text is modelled; markup inside is not kept).
// -1 when libxml2 cannot read the text.
long count_kept_nodes(std::string_view xml) {
  xmlDoc* doc =
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) return -1;
  xmlNode* root = xmlDocGetRootElement(doc);
  long count = 0;
  // Iterative: a hostile document may nest as deep as libxml2 allows.
  xmlNode* cur = root;
  while (cur != nullptr) {
    if (cur->type == XML_ELEMENT_NODE && !is_root_child(cur, root, "seclabel")) {
      ++count;
      for (xmlAttr* a = cur->properties; a != nullptr; a = a->next) ++count;
      bool opaque = is_root_child(cur, root, "name") || is_root_child(cur, root, "uuid");
      if (cur->children != nullptr && !opaque) {
        cur = cur->children;
        continue;
      }
    }
    while (cur != nullptr && cur != root && cur->next == nullptr) cur = cur->parent;
    cur = (cur == nullptr || cur == root) ? nullptr : cur->next;
  }
  xmlFreeDoc(doc);
  return count;
}

const char* mode_name(FormatMode mode) { return mode == FormatMode::kLive ? "live" : "inactive"; }

// `expected` is the model the second parse must give in live mode.
void check_round_trip(const DomainDef& def, FormatMode mode, const char* which,
                      const std::string& expected) {
  const std::string label = std::string(which) + ", " + mode_name(mode) + " mode: ";
  const std::string first = def.format(mode);
  svirt::Result<DomainDef> again = DomainDef::parse(first);
  if (!again) fail(label + "format() output does not parse: " + again.error().message, first);
  const std::string second = again->format(mode);
  check(first == second, label + "format(parse(format(x))) != format(x)", first, second);
  if (mode == FormatMode::kLive) {
    const std::string after = domain_text(*again);
    check(expected == after, label + "parse(format(x)) models different fields than x", expected,
          after);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  svirt::fuzz::forbid_libxml2_output();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  svirt::Result<DomainDef> def = DomainDef::parse(input);
  if (!def) {
    check(!def.error().message.empty(), "a refused document has an empty error message");
    check(def.error().message.find_first_of("\n\r") == std::string::npos,
          "error message spans several lines", def.error().message);
    return 0;
  }
  const long kept = count_kept_nodes(input);
  for (FormatMode mode : {FormatMode::kInactive, FormatMode::kLive}) {
    const std::string out = def->format(mode);
    const long written = count_kept_nodes(out);
    check(kept == written,
          std::string(mode_name(mode)) + " mode: format() has " + std::to_string(written) +
              " elements+attributes outside the domain's seclabels, the input " +
              std::to_string(kept),
          input.size() < 8192 ? input : input.substr(0, 8192),
          out.size() < 8192 ? std::string_view(out) : std::string_view(out).substr(0, 8192));
  }
  const std::string model = domain_text(*def);
  for (FormatMode mode : {FormatMode::kInactive, FormatMode::kLive}) {
    check_round_trip(*def, mode, "kept document", model);
  }
  DomainDef built = *def;
  svirt::DomainDefAccess::set_original_xml(built, "");
  // Hostdevs of a type svirt does not model have nothing to be written from.
  DomainDef expected = built;
  std::erase_if(expected.hostdevs,
                [](const svirt::Hostdev& h) { return h.type == svirt::HostdevType::kOther; });
  const std::string built_model = domain_text(expected);
  for (FormatMode mode : {FormatMode::kInactive, FormatMode::kLive}) {
    check_round_trip(built, mode, "document built from the fields", built_model);
  }
  return 0;
}
