// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The plain parts of the audit API: decisions, verdict names, report queries.
#include "svirt/audit.h"

namespace svirt {

PolicyOracle::~PolicyOracle() = default;

std::optional<bool> PolicyOracle::type_has_attribute(const std::string&, const std::string&) {
  return std::nullopt;
}

const PermissionDecision* AccessDecision::find(std::string_view permission) const {
  for (const PermissionDecision& p : permissions)
    if (p.permission == permission) return &p;
  return nullptr;
}

bool AccessDecision::allows(std::string_view permission) const {
  const PermissionDecision* p = find(permission);
  return p != nullptr && p->allowed;
}

const char* audit_verdict_name(AuditVerdict v) noexcept {
  switch (v) {
    case AuditVerdict::kIsolated:
      return "isolated";
    case AuditVerdict::kReadsOutside:
      return "reads-outside";
    case AuditVerdict::kWritesOutside:
      return "writes-outside";
    case AuditVerdict::kCrossDomain:
      return "cross-domain";
    case AuditVerdict::kUnconstrained:
      return "unconstrained";
    case AuditVerdict::kUnconfined:
      return "unconfined";
    case AuditVerdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool AuditReport::writes_outside_own() const {
  for (const DomainAudit& d : domains) {
    if (d.writes_outside > 0) return true;
    if (d.verdict == AuditVerdict::kUnconfined && d.subject.process_label.empty()) return true;
  }
  return false;
}

bool AuditReport::has_finding(std::string_view id, std::string_view domain_name) const {
  for (const AuditFinding& f : findings)
    if (f.id == id && (domain_name.empty() || f.domain == domain_name)) return true;
  return false;
}

std::size_t AuditReport::count_findings(std::string_view id) const {
  std::size_t n = 0;
  for (const AuditFinding& f : findings)
    if (f.id == id) ++n;
  return n;
}

const DomainAudit* AuditReport::domain(std::string_view name) const {
  for (const DomainAudit& d : domains)
    if (d.subject.name == name) return &d;
  return nullptr;
}

}  // namespace svirt
