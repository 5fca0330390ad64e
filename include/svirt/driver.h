// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SecurityDriver: the verb table of one security model, in libvirt's shape.
//
// Each Set verb has a Restore/Release partner, and the pairs nest:
//
//   gen_label | reserve_label        ...  release_label
//     set_all_labels                 ...  restore_all_labels
//       set_device_labels (hotplug)  ...  restore_device_labels
//       set_saved_state_label        ...  restore_saved_state_label
//       set_socket_label             ...  clear_socket_label
//       plan_process_label (before fork; the child enters the plan)
//
// Contracts every driver keeps:
//  - A Set verb that fails has undone what it did before returning.
//  - Every verb returns its own outcome, warnings included: a driver keeps no
//    state between calls that a later call could report.
//  - A Restore verb never stops at the first failure: it restores everything it
//    can and reports every failure in its RestoreReport.
//  - Verbs read the domain's label from its <seclabel> (gen_label and
//    reserve_label write it there), so a DomainDef formatted in live mode and
//    parsed again carries everything a later Restore needs.
//
// svirt ships "selinux" and "test" (both labeling drivers over a LabelBackend,
// sharing one planner), "none", and "stack" (several drivers: Set verbs run
// forward, a failure rolls back the ones before it in reverse; Restore verbs
// run in reverse and collect every error). SecurityManager builds its driver
// from ManagerOptions::driver.
//
// Thread-safety: drivers are not internally synchronized. SecurityManager
// serializes verbs across threads and processes with a host-wide lock; call
// verbs directly only when you provide that yourself.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/domain.h"
#include "svirt/export.h"
#include "svirt/label.h"
#include "svirt/migration.h"
#include "svirt/result.h"

namespace svirt {

// How the verbs of one prepare or release differ from the plain ones, passed
// to each verb of the transaction (svirt/migration.h has the rules).
struct SVIRT_EXPORT TransactionOptions {
  enum class Migration {
    kNone,
    kIncoming,     // prepare on a migration's destination
    kMigratedOut,  // release on its source once the destination took over
  };
  Migration migration = Migration::kNone;
  // kIncoming: files here are left as they are; kMigratedOut: they are
  // forgotten instead of restored.
  SharedStorage shared;
  // kIncoming: pairs ("cA,cB") the source's labels held; never drawn here.
  std::vector<std::string> avoid_pairs;
};

// What a forked child does to enter a domain's process label, decided in the
// parent before fork(). Between fork and exec a child of a threaded process
// may only make async-signal-safe calls (another thread may have held the
// malloc or environment lock at the moment of fork), so every string, path
// and environment entry is built here, and enter() only opens and writes.
struct SVIRT_EXPORT ExecPlan {
  // One write of a process attribute, e.g. "/proc/self/attr/exec" with the
  // context and its terminating NUL, as the kernel takes it.
  struct AttrWrite {
    std::string path;
    std::string value;
    // false on a host that is not enforcing: a failed write is ignored there.
    bool required = true;
  };
  std::vector<AttrWrite> writes;
  // "K=V" entries the exec'd program's environment must hold (the test
  // driver passes its label this way).
  std::vector<std::string> env;

  // In the child, right before exec. Async-signal-safe: open(2), write(2)
  // and close(2) only, nothing allocated. Returns 0, or the errno of the
  // first required write that failed.
  int enter() const noexcept;
};

class SVIRT_EXPORT SecurityDriver {
 public:
  virtual ~SecurityDriver();

  // "selinux", "test", "none", "stack".
  virtual std::string_view name() const = 0;
  virtual SecurityModel model() const = 0;
  virtual EnforcingMode mode() const = 0;

  // Checks that the domain's seclabels make sense for this driver (known
  // model, contexts the policy accepts, require_confined).
  virtual Result<void> verify(const DomainDef& def) const = 0;

  // Decides the domain's label: a fresh unique MCS pair for dynamic (never
  // one of options.avoid_pairs), the given label for static, nothing for
  // none. Writes label/imagelabel into `def`.
  virtual Result<void> gen_label(DomainDef& def, const TransactionOptions& options) = 0;
  // For a domain that is already running under the label in `def`: enters
  // that label as taken, so no other domain can be given it.
  virtual Result<void> reserve_label(const DomainDef& def) = 0;
  // Returns the label to the pool. Partner of gen_label and reserve_label.
  virtual Result<void> release_label(const DomainDef& def) = 0;

  // Labels every host resource of the domain, remembering each original.
  virtual Result<LabelReport> set_all_labels(const DomainDef& def,
                                             const TransactionOptions& options) = 0;
  virtual RestoreReport restore_all_labels(const DomainDef& def,
                                           const TransactionOptions& options) = 0;

  // Hotplug: the resources of one device.
  virtual Result<LabelReport> set_device_labels(const DomainDef& def, const DeviceDef& dev) = 0;
  virtual RestoreReport restore_device_labels(const DomainDef& def, const DeviceDef& dev) = 0;

  // Save/migration image written by the domain's process: one item.
  virtual Result<LabelReport> set_saved_state_label(const DomainDef& def,
                                                    const std::string& path) = 0;
  virtual RestoreReport restore_saved_state_label(const DomainDef& def,
                                                  const std::string& path) = 0;

  // The way out when restore cannot give a file back (it was replaced,
  // moved, or relabelled by someone else since): drops the domain's records
  // of `paths` without touching the files, so the domain can be released.
  // Each forgotten file is an item (kForgotten) and a warning telling the
  // label it keeps and the one it had before svirt, for the administrator
  // to put right by hand. A path with no record of the domain is an error
  // in the report. The default, for drivers that record nothing: a report
  // with one error per path.
  virtual RestoreReport forget_labels(const DomainDef& def, const std::vector<std::string>& paths);

  // Asked on release when the domain's records are gone although prepare
  // recorded files for it (its state was damaged or removed): an error for
  // each resource that still carries the label this domain gave it, whose
  // original is lost, so release does not report success. Once such a file
  // is put right by hand, release passes. The default, for drivers that
  // record nothing: an empty report.
  virtual RestoreReport check_unrecorded(const DomainDef& def);

  // In the parent, before fork: what the child must do so the exec'd
  // program runs under the domain's process label (ExecPlan::enter).
  virtual Result<ExecPlan> plan_process_label(const DomainDef& def) = 0;

  // Sockets the calling thread creates until clear_socket_label() carry the
  // domain's label.
  virtual Result<void> set_socket_label(const DomainDef& def) = 0;
  virtual Result<void> clear_socket_label(const DomainDef& def) = 0;

  // The label `pid` runs under, as the host reports it.
  virtual Result<SecurityLabel> get_process_label(const DomainDef& def, pid_t pid) = 0;
};

}  // namespace svirt
