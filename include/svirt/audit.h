// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Policy analysis: what could a compromised VM process reach?
//
// sesearch knows the rules but not which file carries which label; libvirt
// knows the labels but not the policy. audit() puts the two together: for
// each subject (a domain's process label) and each object (a file and the
// label it carries) it asks the compiled policy, type enforcement and the
// MCS/MLS constraints both, whether the process may read, write, append,
// execute or open it, and reports what each domain can reach outside its own
// set, plus findings by stable identifier.
//
//   auto oracle = svirt::open_policy("/etc/selinux/default/policy/policy.33");
//   if (!oracle) return fail(oracle.error());
//   std::vector<svirt::AuditSubject> vms = {
//       {"web", "system_u:system_r:svirt_t:s0:c1,c2", "system_u:object_r:svirt_image_t:s0:c1,c2"},
//       {"db", "system_u:system_r:svirt_t:s0:c3,c4", "system_u:object_r:svirt_image_t:s0:c3,c4"}};
//   std::vector<svirt::AuditObject> files = {
//       {"/vm/web.img", "system_u:object_r:svirt_image_t:s0:c1,c2", {"web"}},
//       {"/vm/db.img", "system_u:object_r:svirt_image_t:s0", {"db"}}};  // a fault
//   auto report = svirt::audit(vms, files, **oracle);
//   if (!report) return fail(report.error());
//   report->has_finding(svirt::kFindingWritableUncategorized);  // true: web can write db.img
//   report->writes_outside_own();                               // true
//
// Or, for everything a SecurityManager has recorded (what `svirt audit` does):
//
//   auto report = svirt::audit_manager(*mgr, svirt::AuditOptions{});
//
// Definitions the report relies on:
//  - A domain's OWN set: objects whose recorded owners (files.db users) include
//    it; an object without recorded owners is its own when it carries the
//    domain's image label or exactly the domain's categories. An object with
//    owners that do not include the domain is never its own, even when a fault
//    gave two domains the same label.
//  - Audited permissions: class dir: search, read, write, add_name; every
//    other class (file, chr_file, blk_file, fifo_file, sock_file, lnk_file):
//    read, write, append, execute, open. A domain can READ a file when read
//    and open are allowed, WRITE it with open plus write or append, EXECUTE it
//    with open plus execute; a directory it can read with search or read and
//    write with write plus add_name.
//  - An object BELONGS TO another domain when that domain is among its owners
//    or the object carries that domain's image label or categories. Reaching
//    such an object is cross-domain access when the object has categories or
//    the access is a write (reading shared uncategorized content, such as a
//    common read-only base image, is by design).
//
// Findings (AuditFinding::id, stable; also used in `svirt audit --json`):
//   shared-label            two domains share a process label, image label or
//                           category set
//   writable-uncategorized  an object with fewer than two categories that a
//                           confined domain outside its owners can write
//   unconfined-domain       a domain without a label of its own (seclabel type
//                           none) or running as an unconfined type
//   unconstrained-type      a domain whose type the policy does not constrain
//                           by MCS (no mcs_constrained_type attribute, or a
//                           differently-categorized object is not refused)
//   leftover-label          an object with two or more categories that no
//                           domain holds: labelled for a domain that is gone
//   cross-domain-access     a domain can reach another domain's object
//   invalid-label           a label the policy does not define
//
// Errors: Result as everywhere; nothing is logged or printed.
//
// Thread-safety: the value types are plain values. audit() keeps no state of
// its own; it calls the oracle from the calling thread only. The libsepol
// oracle is safe to use from several threads: libsepol's service functions
// keep one process-global policy and SID table, so every oracle from
// open_policy() serializes all its libsepol use behind one process-wide
// mutex. Oracles over the same policy bytes share one load; an oracle that
// finds a different policy loaded reloads its own (correct, but slow, and
// libsepol does not free all of the policy it replaces: prefer one policy per
// process). Do not use libsepol's service functions elsewhere in a process
// that uses this oracle. It also turns libsepol's own stderr messages off
// (sepol_debug(0)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

class SecurityManager;

// Finding identifiers.
inline constexpr const char* kFindingSharedLabel = "shared-label";
inline constexpr const char* kFindingWritableUncategorized = "writable-uncategorized";
inline constexpr const char* kFindingUnconfinedDomain = "unconfined-domain";
inline constexpr const char* kFindingUnconstrainedType = "unconstrained-type";
inline constexpr const char* kFindingLeftoverLabel = "leftover-label";
inline constexpr const char* kFindingCrossDomainAccess = "cross-domain-access";
inline constexpr const char* kFindingInvalidLabel = "invalid-label";

// Why a permission was refused: bits as libsepol reports them.
inline constexpr unsigned kDeniedByTypeEnforcement = 1;
inline constexpr unsigned kDeniedByConstraint = 2;  // MCS/MLS constraints
inline constexpr unsigned kDeniedByRbac = 4;
inline constexpr unsigned kDeniedByBounds = 8;

struct SVIRT_EXPORT PermissionDecision {
  std::string permission;
  bool allowed = false;
  unsigned denied_by = 0;  // kDeniedBy* bits when !allowed
};

// The policy's answer for one (source, target, class) and a list of permissions.
struct SVIRT_EXPORT AccessDecision {
  std::vector<PermissionDecision> permissions;  // in the order asked

  // Null when `permission` was not asked.
  const PermissionDecision* find(std::string_view permission) const;
  // False as well when `permission` was not asked.
  bool allows(std::string_view permission) const;
};

// Answers access questions from a policy. Implement it to audit against
// something other than a compiled policy file (tests use fixed tables).
class SVIRT_EXPORT PolicyOracle {
 public:
  virtual ~PolicyOracle();

  // What the answers come from, for reports (the policy file path).
  virtual std::string description() const = 0;

  // kNotFound naming `context` when the policy does not define it (unknown
  // user, role, type, level or category, or an invalid combination);
  // kInvalidInput when it is not a context at all.
  virtual Result<void> validate_context(const std::string& context) = 0;

  // Decides each of `permissions` of object class `tclass` for a process
  // labelled `scon` on an object labelled `tcon`. Fails as validate_context()
  // for either context, with kInvalidInput for a class or permission the
  // policy does not define.
  virtual Result<AccessDecision> check(const std::string& scon, const std::string& tcon,
                                       const std::string& tclass,
                                       const std::vector<std::string>& permissions) = 0;

  // Whether type `type` carries attribute `attribute`; nullopt when the
  // oracle cannot tell (either name unknown to the policy, or no type data).
  virtual std::optional<bool> type_has_attribute(const std::string& type,
                                                 const std::string& attribute);
};

// The compiled policy `svirt audit` uses when not told: the newest policy.N
// next to the loaded policy's path (selinux_binary_policy_path()), else in
// /etc/selinux/default/policy/. kNotFound when there is none.
SVIRT_EXPORT Result<std::string> default_policy_file();

// A PolicyOracle over a compiled policy file (policy.N), read with libsepol.
// The file is read once; later changes to it are not seen. kUnsupported when
// svirt was built without libsepol; kNotFound / kOperationFailed naming the
// file when it cannot be read or parsed.
SVIRT_EXPORT Result<std::unique_ptr<PolicyOracle>> open_policy(const std::string& policy_file);

// A process that may be compromised: a domain and its labels.
struct SVIRT_EXPORT AuditSubject {
  std::string name;           // unique among the subjects
  std::string process_label;  // "" = no label of its own (seclabel type none)
  std::string image_label;    // "" when the domain's files are not relabelled
};

// A file the subjects might reach.
struct SVIRT_EXPORT AuditObject {
  std::string path;
  std::string label;                // "" = unlabelled: counted, not analysed
  std::vector<std::string> owners;  // domains recorded as using it (files.db users)
  std::string tclass = "file";      // SELinux object class: file, dir, chr_file, ...
};

// Something a domain can reach outside its own set.
struct SVIRT_EXPORT AuditAccess {
  std::string path;
  std::string label;
  std::string tclass;
  std::vector<std::string> permissions;  // granted, among the audited ones
  bool read = false;
  bool write = false;
  bool execute = false;
  std::vector<std::string> belongs_to;  // other domains the object belongs to
  bool cross_domain = false;            // see "cross-domain access" above
};

// Summary per domain, in rising severity.
enum class AuditVerdict {
  kIsolated,       // reaches nothing outside its own set
  kReadsOutside,   // reads (or executes) outside its own set, writes nothing there
  kWritesOutside,  // writes outside its own set
  kCrossDomain,    // reaches another domain's objects
  kUnconstrained,  // its type escapes the MCS constraints
  kUnconfined,     // no label of its own, or an unconfined type
  kUnknown,        // its label is invalid: nothing could be computed
};
SVIRT_EXPORT const char* audit_verdict_name(AuditVerdict v) noexcept;  // "isolated", ...

struct SVIRT_EXPORT DomainAudit {
  AuditSubject subject;
  AuditVerdict verdict = AuditVerdict::kIsolated;
  std::size_t own = 0;               // objects in its own set
  std::size_t own_reachable = 0;     // of those, the ones it can read, write or execute
  std::size_t reads_outside = 0;     // outside objects it can read or execute
  std::size_t writes_outside = 0;    // outside objects it can write
  std::size_t cross_domain = 0;      // outside accesses that are cross-domain
  std::vector<AuditAccess> outside;  // every outside object it can reach, in object order
};

struct SVIRT_EXPORT AuditFinding {
  std::string id;       // one of kFinding*
  std::string domain;   // the domain concerned, "" when the finding is about an object
  std::string path;     // the object concerned, "" when about a domain
  std::string message;  // one line for people
};

struct SVIRT_EXPORT AuditReport {
  std::string policy;                // PolicyOracle::description()
  std::vector<DomainAudit> domains;  // in subject order
  std::vector<AuditFinding> findings;
  std::size_t objects = 0;            // objects examined
  std::size_t unlabelled = 0;         // of those, without a label (not analysed)
  std::size_t labels = 0;             // distinct (label, class) pairs analysed
  std::size_t queries = 0;            // oracle check() calls made
  std::vector<std::string> warnings;  // objects that could not be examined, undecidable checks

  // True when some domain can write an object outside its own set, or runs
  // without a label of its own (and so may write anything its starter can).
  bool writes_outside_own() const;
  // True when a finding `id` exists (for `domain`, when not empty).
  bool has_finding(std::string_view id, std::string_view domain = {}) const;
  std::size_t count_findings(std::string_view id) const;
  // The audit of `name`, or null.
  const DomainAudit* domain(std::string_view name) const;
};

// Audits `subjects` against `objects`. Every subject takes part in the
// findings about labels (shared-label, leftover-label, belongs-to); only
// those named in `only` (all when empty) get a DomainAudit and access
// findings. Each distinct (process label, object label, class) is asked once,
// so the cost grows with distinct labels, not with files.
// kInvalidInput for duplicate subject names, kNotFound for a name in `only`
// that is no subject; oracle errors other than undefined labels are returned.
SVIRT_EXPORT Result<AuditReport> audit(const std::vector<AuditSubject>& subjects,
                                       const std::vector<AuditObject>& objects,
                                       PolicyOracle& oracle,
                                       const std::vector<std::string>& only = {});

struct SVIRT_EXPORT AuditOptions {
  // Compiled policy; unset: default_policy_file().
  std::optional<std::string> policy_file;
  // Ask this oracle instead of opening a policy file (not owned).
  PolicyOracle* oracle = nullptr;
  // Domains to report on; empty: every recorded domain.
  std::vector<std::string> domains;
  // Files and directory trees to examine (walked without following symlinks;
  // symlinks themselves are skipped). Empty: every file recorded in the
  // state, plus the directories holding them.
  std::vector<std::string> paths;
};

// audit() over what `manager` has recorded: subjects are its domains (process
// label and image label from SecurityManager::list()), object labels are read
// through its LabelBackend, owners come from its file records. Reads only:
// nothing is labelled, restored or recovered. kUnsupported when the manager
// has no label backend (driver none); kNotFound for an unknown domain.
SVIRT_EXPORT Result<AuditReport> audit_manager(SecurityManager& manager,
                                               const AuditOptions& options);

}  // namespace svirt
