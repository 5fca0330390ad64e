// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string>

#include "xml/device_parse.h"
#include "xml/seclabel_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

ChardevType parse_chardev_type(std::string_view text) {
  if (text == "file") return ChardevType::kFile;
  if (text == "pipe") return ChardevType::kPipe;
  if (text == "dev") return ChardevType::kDev;
  if (text == "unix") return ChardevType::kUnix;
  if (text == "pty") return ChardevType::kPty;
  // tcp, udp, spicevmc, null, vc, stdio, ...: no host path to label.
  return ChardevType::kOther;
}

}  // namespace

std::optional<ChardevRole> chardev_role(const xmlNode* node) {
  if (is_element(node, "serial")) return ChardevRole::kSerial;
  if (is_element(node, "console")) return ChardevRole::kConsole;
  if (is_element(node, "channel")) return ChardevRole::kChannel;
  if (is_element(node, "parallel")) return ChardevRole::kParallel;
  return std::nullopt;
}

const char* chardev_role_name(ChardevRole role) {
  switch (role) {
    case ChardevRole::kSerial:
      return "serial";
    case ChardevRole::kConsole:
      return "console";
    case ChardevRole::kChannel:
      return "channel";
    case ChardevRole::kParallel:
      return "parallel";
  }
  return "serial";
}

Result<Chardev> parse_chardev(const xmlNode* node, ChardevRole role, int index,
                              const std::vector<SecLabelDef>& domain_labels) {
  Chardev c;
  c.role = role;
  c.index = index;
  const std::string who = c.name();
  // libvirt's default chardev type is pty.
  std::string type_text = attr(node, "type").value_or("pty");
  c.type = parse_chardev_type(type_text);
  const xmlNode* source = first_child(node, "source");
  if (source != nullptr) {
    c.path = attr(source, "path").value_or("");
    c.bind = c.type == ChardevType::kUnix && attr(source, "mode").value_or("") == "bind";
  }
  bool host_path = c.type == ChardevType::kFile || c.type == ChardevType::kPipe ||
                   c.type == ChardevType::kDev || c.type == ChardevType::kUnix;
  if (c.path.empty() && c.type != ChardevType::kUnix && host_path) {
    return make_error(ErrorCode::kInvalidInput,
                      who + ": type " + quoted(type_text) + " requires <source path=>");
  }
  std::string where = who + ": source";
  if (host_path && !c.path.empty()) {
    SVIRT_TRY(require_absolute(c.path, where));
  }
  if (!c.path.empty()) where += " " + quoted(c.path);
  Result<std::vector<SourceSecLabel>> labels = parse_source_seclabels(source, domain_labels);
  if (!labels) return labels.error().wrap(where);
  c.seclabels = std::move(labels).value();
  return c;
}

}  // namespace svirt::internal
