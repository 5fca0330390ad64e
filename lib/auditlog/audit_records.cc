// SPDX-License-Identifier: LGPL-2.1-or-later
#include "auditlog/audit_records.h"

#include "svirt_build_config.h"
#if SVIRT_HAVE_LIBAUDIT
#include "auditlog/libaudit_sink.h"
#endif

namespace svirt {

const char* audit_record_type_name(AuditRecordType type) noexcept {
  switch (type) {
    case AuditRecordType::kResource:
      return "VIRT_RESOURCE";
    case AuditRecordType::kMachineId:
      return "VIRT_MACHINE_ID";
  }
  return "VIRT_RESOURCE";
}

AuditSink::~AuditSink() = default;

namespace internal {
namespace {

bool needs_encoding(std::string_view value) {
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if (b == '"' || b < 0x21 || b >= 0x7f) return true;
  }
  return false;
}

std::string or_unknown(const std::string& path) { return path.empty() ? "?" : path; }

// The fields every record starts with, after virt= (and resrc=/reason=).
std::string vm_fields(const DomainDef& def) {
  return audit_encode_nv("vm", def.name) + " uuid=" + audit_bare(def.uuid);
}

}  // namespace

std::string audit_encode_nv(std::string_view name, std::string_view value) {
  std::string out(name);
  out += '=';
  if (!needs_encoding(value)) {
    out += '"';
    out += value;
    out += '"';
    return out;
  }
  static const char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
  return out;
}

std::string audit_bare(std::string_view value) {
  if (value.empty() || needs_encoding(value)) return "?";
  return std::string(value);
}

std::string machine_id_message(const DomainDef& def, const SecurityLabel& label) {
  return "virt=" + audit_bare(def.type) + " " + vm_fields(def) +
         " vm-ctx=" + audit_bare(label.label) + " img-ctx=" + audit_bare(label.imagelabel) +
         " model=" + audit_bare(label.model);
}

std::string disk_resource_message(const DomainDef& def, std::string_view reason,
                                  const std::string& old_path, const std::string& new_path) {
  return "virt=" + audit_bare(def.type) + " resrc=disk reason=" + std::string(reason) + " " +
         vm_fields(def) + " " + audit_encode_nv("old-disk", or_unknown(old_path)) + " " +
         audit_encode_nv("new-disk", or_unknown(new_path));
}

std::string audited_disk_path(const Disk& disk) {
  switch (disk.source.type) {
    case DiskType::kFile:
    case DiskType::kBlock:
    case DiskType::kDir:
      return disk.source.path;
    default:
      return "";
  }
}

// Sends records and remembers what did not get through, for one warning.
struct AuditLog::Batch {
  AuditSink& sink;
  bool success;
  int failed = 0;
  std::string first_error;

  void send(AuditRecordType type, const std::string& message) {
    auto r = sink.send(type, message, success);
    if (r) return;
    if (failed++ == 0) first_error = r.error().message;
  }

  void report(std::vector<std::string>* warnings) const {
    if (failed == 0 || warnings == nullptr) return;
    std::string w = "audit: " + std::to_string(failed) + (failed == 1 ? " record" : " records") +
                    " not sent: " + first_error;
    warnings->push_back(std::move(w));
  }
};

void AuditLog::start(const DomainDef& live, const SecurityLabel& label, bool success,
                     std::vector<std::string>* warnings) {
  if (!sink_) return;
  Batch b{*sink_, success};
  b.send(AuditRecordType::kMachineId, machine_id_message(live, label));
  for (const Disk& d : live.disks) {
    std::string path = audited_disk_path(d);
    if (!path.empty())
      b.send(AuditRecordType::kResource, disk_resource_message(live, "start", "", path));
  }
  b.report(warnings);
}

void AuditLog::stop(const DomainDef& live, bool success, std::vector<std::string>* warnings) {
  if (!sink_) return;
  Batch b{*sink_, success};
  for (const Disk& d : live.disks) {
    std::string path = audited_disk_path(d);
    if (!path.empty())
      b.send(AuditRecordType::kResource, disk_resource_message(live, "stop", path, ""));
  }
  b.report(warnings);
}

void AuditLog::hotplug(const DomainDef& live, const DeviceDef& dev, bool attach, bool success,
                       std::vector<std::string>* warnings) {
  if (!sink_) return;
  Batch b{*sink_, success};
  for (const Disk& d : dev.disks) {
    std::string path = audited_disk_path(d);
    if (path.empty()) continue;
    b.send(AuditRecordType::kResource, attach ? disk_resource_message(live, "attach", "", path)
                                              : disk_resource_message(live, "detach", path, ""));
  }
  b.report(warnings);
}

std::shared_ptr<AuditSink> default_audit_sink() {
#if SVIRT_HAVE_LIBAUDIT
  auto s = LibauditSink::open();
  if (s) return std::move(*s);
#endif
  return nullptr;
}

}  // namespace internal
}  // namespace svirt
