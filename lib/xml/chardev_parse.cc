// SPDX-License-Identifier: LGPL-2.1-or-later
#include <optional>
#include <string>

#include "xml/device_parse.h"
#include "xml/seclabel_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

struct TypeName {
  ChardevType type;
  const char* name;
};

// libvirt's chardev source types, each by its XML name.
constexpr TypeName kTypes[] = {
    {ChardevType::kNull, "null"},
    {ChardevType::kVc, "vc"},
    {ChardevType::kPty, "pty"},
    {ChardevType::kDev, "dev"},
    {ChardevType::kFile, "file"},
    {ChardevType::kPipe, "pipe"},
    {ChardevType::kStdio, "stdio"},
    {ChardevType::kUdp, "udp"},
    {ChardevType::kTcp, "tcp"},
    {ChardevType::kUnix, "unix"},
    {ChardevType::kSpiceVmc, "spicevmc"},
    {ChardevType::kSpicePort, "spiceport"},
    {ChardevType::kQemuVdagent, "qemu-vdagent"},
    {ChardevType::kDbus, "dbus"},
    {ChardevType::kNmdm, "nmdm"},
};

std::optional<ChardevType> parse_chardev_type(std::string_view text) {
  for (const TypeName& t : kTypes)
    if (text == t.name) return t.type;
  return std::nullopt;
}

}  // namespace

std::optional<ChardevRole> chardev_role(const xmlNode* node) {
  if (is_element(node, "serial")) return ChardevRole::kSerial;
  if (is_element(node, "console")) return ChardevRole::kConsole;
  if (is_element(node, "channel")) return ChardevRole::kChannel;
  if (is_element(node, "parallel")) return ChardevRole::kParallel;
  return std::nullopt;
}

const char* chardev_type_name(ChardevType type) {
  for (const TypeName& t : kTypes)
    if (t.type == type) return t.name;
  return "other";
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
  std::optional<ChardevType> type = parse_chardev_type(type_text);
  if (!type)
    return make_error(ErrorCode::kInvalidInput, who + ": unknown type " + quoted(type_text));
  c.type = *type;
  const xmlNode* source = first_child(node, "source");
  if (source != nullptr) {
    c.path = attr(source, "path").value_or("");
    c.bind = c.type == ChardevType::kUnix && attr(source, "mode").value_or("") == "bind";
  }
  bool host_path = c.type == ChardevType::kFile || c.type == ChardevType::kPipe ||
                   c.type == ChardevType::kDev || c.type == ChardevType::kUnix;
  // Only a listening socket may go without a path (libvirt then picks one).
  if (c.path.empty() && host_path && !(c.type == ChardevType::kUnix && c.bind)) {
    return make_error(ErrorCode::kInvalidInput,
                      who + ": type " + quoted(type_text) + " requires <source path=>");
  }
  if (const xmlNode* log = first_child(node, "log")) {
    c.log_file = attr(log, "file").value_or("");
    if (c.log_file.empty())
      return make_error(ErrorCode::kInvalidInput, who + ": <log> needs file=");
    SVIRT_TRY(require_absolute(c.log_file, who + ": <log>"));
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
