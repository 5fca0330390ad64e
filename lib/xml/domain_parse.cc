// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DomainDef::parse / parse_file and DeviceDef::parse.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/unique_fd.h"
#include "svirt/domain.h"
#include "xml/device_parse.h"
#include "xml/domain_access.h"
#include "xml/seclabel_parse.h"
#include "xml/xml_doc.h"
#include "xml/xml_node.h"

namespace svirt {
namespace {

using internal::attr;
using internal::first_child;
using internal::quoted;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

// libvirt accepts 32 hex digits with '-' anywhere between them; the canonical
// form is 8-4-4-4-12, lower case.
Result<std::string> canonical_uuid(std::string_view text) {
  std::string hex;
  std::size_t b = text.find_first_not_of(" \t\n\r");
  std::size_t e = text.find_last_not_of(" \t\n\r");
  std::string_view core = b == std::string_view::npos ? "" : text.substr(b, e - b + 1);
  for (char c : core) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) hex = "x";
    hex += c;
    if (hex.size() > 32) break;
  }
  if (hex.size() != 32 || hex.find('x') != std::string::npos) {
    return invalid("domain: <uuid> " + quoted(text) + " is not a valid UUID");
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<void> os_path(const xmlNode* os, const char* element, std::string* out) {
  const xmlNode* n = first_child(os, element);
  if (n == nullptr) return ok();
  *out = internal::text_of(n);
  return internal::require_absolute(*out, std::string("os: <") + element + ">");
}

Result<OsDef> parse_os(const xmlNode* os) {
  OsDef def;
  if (os == nullptr) return def;
  SVIRT_TRY(os_path(os, "kernel", &def.kernel));
  SVIRT_TRY(os_path(os, "initrd", &def.initrd));
  SVIRT_TRY(os_path(os, "dtb", &def.dtb));
  if (const xmlNode* loader = first_child(os, "loader")) {
    // With firmware autoselection the loader may carry only attributes.
    def.loader = internal::text_of(loader);
    if (!def.loader.empty()) SVIRT_TRY(internal::require_absolute(def.loader, "os: <loader>"));
    if (std::optional<std::string> ro = attr(loader, "readonly")) {
      Result<bool> r = internal::parse_yes_no(*ro, "os: <loader readonly=>");
      if (!r) return r.error();
      def.loader_readonly = *r;
    }
  }
  if (const xmlNode* nvram = first_child(os, "nvram")) {
    if (const xmlNode* source = first_child(nvram, "source")) {
      def.nvram = attr(source, "file").value_or("");
    } else {
      def.nvram = internal::text_of(nvram);
    }
    if (!def.nvram.empty()) SVIRT_TRY(internal::require_absolute(def.nvram, "os: <nvram>"));
  }
  return def;
}

Result<void> parse_devices(const xmlNode* devices, std::string_view arch, DomainDef* def) {
  int role_count[4] = {0, 0, 0, 0};
  int interface_count = 0;
  for (const xmlNode* n : internal::child_elements(devices)) {
    if (internal::is_element(n, "disk")) {
      Result<Disk> d = internal::parse_disk(n, def->seclabels);
      if (!d) return d.error();
      def->disks.push_back(std::move(d).value());
    } else if (std::optional<ChardevRole> role = internal::chardev_role(n)) {
      int& count = role_count[static_cast<int>(*role)];
      Result<Chardev> c = internal::parse_chardev(n, *role, count, def->seclabels);
      if (!c) return c.error();
      ++count;
      def->chardevs.push_back(std::move(c).value());
    } else if (internal::is_element(n, "hostdev")) {
      Result<Hostdev> h = internal::parse_hostdev(n);
      if (!h) return h.error();
      def->hostdevs.push_back(std::move(h).value());
    } else if (internal::is_element(n, "filesystem")) {
      Result<Filesystem> fs = internal::parse_filesystem(n);
      if (!fs) return fs.error();
      def->filesystems.push_back(std::move(fs).value());
    } else if (internal::is_element(n, "interface")) {
      Result<Interface> i = internal::parse_interface(n, interface_count++);
      if (!i) return i.error();
      def->interfaces.push_back(std::move(i).value());
    } else if (internal::is_element(n, "tpm")) {
      Result<Tpm> t = internal::parse_tpm(n, arch);
      if (!t) return t.error();
      def->tpms.push_back(std::move(t).value());
    } else if (internal::is_element(n, "memory")) {
      Result<std::optional<MemoryDevice>> m = internal::parse_memory_device(n);
      if (!m) return m.error();
      if (*m) def->memory_devices.push_back(std::move(**m));
    }
  }
  return ok();
}

Result<void> parse_domain(const xmlNode* root, DomainDef* def) {
  if (!internal::is_element(root, "domain")) {
    std::string name = internal::element_name(root);
    if (root->ns != nullptr && root->ns->prefix != nullptr) {
      name = reinterpret_cast<const char*>(root->ns->prefix) + (":" + name);
    } else if (root->ns != nullptr) {
      name += " xmlns=" + quoted(reinterpret_cast<const char*>(root->ns->href));
    }
    return invalid("domain XML: root element is <" + name + ">, expected <domain>");
  }
  std::optional<std::string> type = attr(root, "type");
  if (!type || type->empty()) return invalid("domain: missing type= on <domain>");
  def->type = *type;
  const xmlNode* name = first_child(root, "name");
  if (name == nullptr) return invalid("domain: missing <name>");
  def->name = internal::text_of(name);
  SVIRT_TRY(validate_domain_name(def->name));
  if (const xmlNode* uuid = first_child(root, "uuid")) {
    Result<std::string> u = canonical_uuid(internal::text_of(uuid));
    if (!u) return u.error();
    def->uuid = std::move(u).value();
  }
  const std::string who = "domain " + quoted(def->name);
  Result<std::vector<SecLabelDef>> labels = internal::parse_domain_seclabels(root);
  if (!labels) return labels.error().wrap(who);
  def->seclabels = std::move(labels).value();
  Result<OsDef> os = parse_os(first_child(root, "os"));
  if (!os) return os.error().wrap(who);
  def->os = std::move(os).value();
  Result<MemoryBacking> backing =
      internal::parse_memory_backing(first_child(root, "memoryBacking"));
  if (!backing) return backing.error().wrap(who);
  def->memory_backing = std::move(backing).value();
  std::string arch = attr(first_child(first_child(root, "os"), "type"), "arch").value_or("");
  if (arch.empty()) arch = internal::host_arch();
  Result<void> devices = parse_devices(first_child(root, "devices"), arch, def);
  if (!devices) return devices.error().wrap(who);
  return ok();
}

}  // namespace

Result<DomainDef> DomainDef::parse(std::string_view xml) {
  Result<internal::XmlDocPtr> doc = internal::parse_xml_document(xml, "domain XML");
  if (!doc) return doc.error();
  DomainDef def;
  SVIRT_TRY(parse_domain(xmlDocGetRootElement(doc->get()), &def));
  std::string normalized = internal::serialize_xml_document(doc->get());
  // Whatever svirt accepts it must be able to hand back and read again:
  // indentation can make a deeply nested document grow past the limit.
  if (normalized.size() > kMaxXmlBytes)
    return make_error(ErrorCode::kInvalidInput,
                      "domain XML: document is " + std::to_string(normalized.size()) +
                          " bytes once formatted, more than the limit of " +
                          std::to_string(kMaxXmlBytes));
  DomainDefAccess::set_original_xml(def, std::move(normalized));
  return def;
}

Result<DomainDef> DomainDef::parse_file(const std::string& path) {
  const std::string who = "domain XML " + quoted(path);
  internal::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "cannot open " + who, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return make_error(ErrorCode::kOperationFailed, "cannot stat " + who, errno);
  }
  if (!S_ISREG(st.st_mode)) return invalid(who + ": not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxXmlBytes) {
    return invalid(who + ": file is " + std::to_string(st.st_size) +
                   " bytes, more than the limit of " + std::to_string(kMaxXmlBytes));
  }
  // Read up to one byte past the limit in case the file grew since fstat.
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kOperationFailed, "cannot read " + who, errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxXmlBytes) break;
  }
  Result<DomainDef> def = parse(text);
  if (!def) return std::move(def).error().wrap(who);
  return def;
}

Result<DeviceDef> DeviceDef::parse(std::string_view xml, const DomainDef& domain) {
  Result<internal::XmlDocPtr> doc = internal::parse_xml_document(xml, "device XML");
  if (!doc) return doc.error();
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  DeviceDef dev;
  if (internal::is_element(root, "disk")) {
    Result<Disk> d = internal::parse_disk(root, domain.seclabels);
    if (!d) return d.error();
    dev.disks.push_back(std::move(d).value());
  } else if (std::optional<ChardevRole> role = internal::chardev_role(root)) {
    // A hotplugged chardev comes after the domain's own of the same role.
    int index = 0;
    for (const Chardev& c : domain.chardevs) index += c.role == *role ? 1 : 0;
    Result<Chardev> c = internal::parse_chardev(root, *role, index, domain.seclabels);
    if (!c) return c.error();
    dev.chardevs.push_back(std::move(c).value());
  } else if (internal::is_element(root, "hostdev")) {
    Result<Hostdev> h = internal::parse_hostdev(root);
    if (!h) return h.error();
    dev.hostdevs.push_back(std::move(h).value());
  } else if (internal::is_element(root, "filesystem")) {
    Result<Filesystem> fs = internal::parse_filesystem(root);
    if (!fs) return fs.error();
    dev.filesystems.push_back(std::move(fs).value());
  } else {
    return invalid("device XML: <" + internal::element_name(root) +
                   "> is not a device svirt handles (disk, hostdev, serial, console, channel, "
                   "parallel, filesystem)");
  }
  return dev;
}

}  // namespace svirt
