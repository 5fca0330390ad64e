// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/xml_node.h"

#include <cstdio>
#include <limits>

namespace svirt::internal {

bool is_element(const xmlNode* node, std::string_view name) {
  // libvirt's elements have no namespace; <qemu:disk> and the like are
  // someone else's extension, never ours.
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns == nullptr &&
         name == reinterpret_cast<const char*>(node->name);
}

std::string element_name(const xmlNode* node) {
  if (node == nullptr || node->name == nullptr) return {};
  return reinterpret_cast<const char*>(node->name);
}

std::optional<std::string> attr(const xmlNode* node, const char* name) {
  xmlChar* v = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return std::nullopt;
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string text_of(const xmlNode* node) {
  xmlChar* v = xmlNodeGetContent(node);
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

xmlNode* first_child(const xmlNode* node, std::string_view name) {
  if (node == nullptr) return nullptr;
  for (xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (is_element(c, name)) return c;
  }
  return nullptr;
}

std::vector<xmlNode*> children_named(const xmlNode* node, std::string_view name) {
  std::vector<xmlNode*> out;
  if (node == nullptr) return out;
  for (xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (is_element(c, name)) out.push_back(c);
  }
  return out;
}

std::vector<xmlNode*> child_elements(const xmlNode* node) {
  std::vector<xmlNode*> out;
  if (node == nullptr) return out;
  for (xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  }
  return out;
}

Result<int> parse_number(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return make_error(ErrorCode::kInvalidInput, std::string(what) + ": " + quoted(text) +
                                                    " is not a decimal or 0x hexadecimal number");
  };
  int base = 10;
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return bad();
  long long value = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return bad();
    }
    value = value * base + d;
    if (value > std::numeric_limits<int>::max()) {
      return make_error(ErrorCode::kInvalidInput,
                        std::string(what) + ": " + quoted(text) + " is out of range");
    }
  }
  return static_cast<int>(value);
}

Result<int> number_attr(const xmlNode* node, const char* name, std::string_view what) {
  std::optional<std::string> v = attr(node, name);
  if (!v) return -1;
  return parse_number(*v, what);
}

Result<bool> parse_yes_no(std::string_view text, std::string_view what) {
  if (text == "yes") return true;
  if (text == "no") return false;
  return make_error(ErrorCode::kInvalidInput,
                    std::string(what) + ": must be 'yes' or 'no', not " + quoted(text));
}

Result<void> require_absolute(std::string_view path, std::string_view what) {
  if (!path.empty() && path.front() == '/') return ok();
  return make_error(ErrorCode::kInvalidInput,
                    std::string(what) + ": path " + quoted(path) + " is not absolute");
}

}  // namespace svirt::internal
