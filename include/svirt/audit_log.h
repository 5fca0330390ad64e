// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Linux audit records of VM lifecycle events, in the form libvirt sends them,
// so the host's audit trail (ausearch -m VIRT_MACHINE_ID,VIRT_RESOURCE) shows
// which label each VM ran under and which disks it was given.
// (Not to be confused with svirt/audit.h, the policy analysis behind
// `svirt audit`.)
//
// SecurityManager sends, through the sink in ManagerOptions::audit_sink:
//  - prepare(): one VIRT_MACHINE_ID record for the domain,
//      virt=kvm vm="web" uuid=0e2a...-... vm-ctx=system_u:system_r:svirt_t:s0:c1,c2
//      img-ctx=system_u:object_r:svirt_image_t:s0:c1,c2 model=selinux
//    then one VIRT_RESOURCE record per disk with a local source (file, block
//    device or directory; network disks and empty drives have none),
//      virt=kvm resrc=disk reason=start vm="web" uuid=... old-disk="?"
//      new-disk="/var/lib/images/web.qcow2"
//    A prepare that fails once the domain is accepted for labeling (seclabel
//    check, label, relabel or state write failed) sends the same records with
//    success false.
//  - release(), and recovery releasing a domain whose process is gone: one
//    VIRT_RESOURCE record per disk with reason=stop, old-disk=PATH and
//    new-disk="?"; success false when a file could not be restored. (libvirt
//    marks a stop with one VIRT_CONTROL record; svirt, which neither starts
//    nor stops the VM, records the end of each disk's assignment instead.)
//  - attach()/detach() of a disk: reason=attach (old-disk="?", new-disk=PATH)
//    or reason=detach (old-disk=PATH, new-disk="?"), success as the call's.
// Fields that are absent are "?" (vm-ctx of an unconfined domain, uuid of a
// definition without <uuid>). Names and paths are encoded as libaudit's
// audit_encode_nv_string() does: key="value" when the value has no space,
// double quote, control character or byte outside printable ASCII, else
// key=HEX (two upper-case hex digits per byte). The virt type, uuid and
// contexts are written bare; a value that would need encoding is written "?".
//
// Records are turned off by `audit_records = false` in [security] of the
// configuration (Config::audit_records), whatever the sink.
//
// Thread-safety: a manager calls send() while holding its own lock, so one
// manager never calls it concurrently; a sink shared by several managers
// (or used by the stack itself) must synchronize itself.
#pragma once

#include <string>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

// The audit message types svirt sends; the values are those of <libaudit.h>
// (AUDIT_VIRT_RESOURCE, AUDIT_VIRT_MACHINE_ID), so a sink may hand them to
// the kernel as they are.
enum class AuditRecordType {
  kResource = 2501,   // a resource given to or taken from a VM
  kMachineId = 2502,  // the binding of a security label to a VM
};

// "VIRT_RESOURCE", "VIRT_MACHINE_ID": the names ausearch uses.
SVIRT_EXPORT const char* audit_record_type_name(AuditRecordType type) noexcept;

// Where audit records go. The default (ManagerOptions::audit_sink unset) is
// the kernel's audit log through libaudit, when svirt was built with it
// (-Daudit=enabled) and audit_open() succeeds; otherwise records are not sent.
// Stacks set their own sink to forward records elsewhere or to capture them
// in tests.
class SVIRT_EXPORT AuditSink {
 public:
  virtual ~AuditSink();

  // Sends one record. `message` is the record's text as described above,
  // without the trailing exe=/hostname=/res= part that libaudit appends;
  // `success` is whether the operation succeeded. A failure never fails the
  // lifecycle call: the manager reports it once per call as a warning (in
  // PreparedDomain::warnings or ReleaseReport::warnings; attach() and
  // detach() have no warnings and drop it).
  virtual Result<void> send(AuditRecordType type, const std::string& message, bool success) = 0;
};

}  // namespace svirt
