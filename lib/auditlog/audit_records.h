// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Builds the audit records of svirt/audit_log.h and hands them to a sink.
// The text is built here, not by libaudit, so a build without libaudit sends
// the same records to a stack's own sink.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/audit_log.h"
#include "svirt/domain.h"
#include "svirt/label.h"

namespace svirt::internal {

// libaudit's audit_encode_nv_string(name, value, 0): name="value", or
// name=HEX when the value holds a '"', a byte below 0x21, 0x7f or a byte
// above 0x7f.
std::string audit_encode_nv(std::string_view name, std::string_view value);

// A bare field value: `value` itself, or "?" when it is empty or would need
// encoding (so no value can add a field of its own to a record).
std::string audit_bare(std::string_view value);

// The VIRT_MACHINE_ID text for `def` under `label`.
std::string machine_id_message(const DomainDef& def, const SecurityLabel& label);

// The VIRT_RESOURCE text for one disk; an empty path is written "?".
std::string disk_resource_message(const DomainDef& def, std::string_view reason,
                                  const std::string& old_path, const std::string& new_path);

// The host path of a disk that gets records: its top source when that is a
// file, block device or directory; "" otherwise (no record).
std::string audited_disk_path(const Disk& disk);

// Sends a manager's records. Inactive (sends nothing) without a sink.
class AuditLog {
 public:
  AuditLog() = default;
  explicit AuditLog(std::shared_ptr<AuditSink> sink) : sink_(std::move(sink)) {}

  bool active() const { return sink_ != nullptr; }

  // Records that do not reach the sink add one warning to `warnings` (when
  // not null): the first failure and how many records it covers.
  void start(const DomainDef& live, const SecurityLabel& label, bool success,
             std::vector<std::string>* warnings);
  void stop(const DomainDef& live, bool success, std::vector<std::string>* warnings);
  void hotplug(const DomainDef& live, const DeviceDef& dev, bool attach, bool success,
               std::vector<std::string>* warnings);

 private:
  struct Batch;
  std::shared_ptr<AuditSink> sink_;
};

// The sink used when ManagerOptions::audit_sink is unset: libaudit's when
// svirt is built with it and the audit socket opens; null otherwise.
std::shared_ptr<AuditSink> default_audit_sink();

}  // namespace svirt::internal
