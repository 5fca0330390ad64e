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
//       set_process_label (in the child, right before exec)
//
// Contracts every driver keeps:
//  - A Set verb that fails has undone what it did before returning.
//  - A Restore verb never stops at the first failure: it restores everything it
//    can and reports every failure in its RestoreReport.
//  - Verbs read the domain's label from its <seclabel> (gen_label and
//    reserve_label write it there), so a DomainDef formatted in live mode and
//    parsed again carries everything a later Restore needs.
//
// svirt ships "selinux" and "test" (both labeling drivers over a LabelBackend,
// sharing one planner), "none", and "stack" (several drivers: Set verbs run
// forward, a failure rolls back the ones before it in reverse; Restore verbs
// run in reverse and collect every error). Write your own by deriving from
// this class and handing it to SecurityManager::open_with_driver().
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
#include "svirt/result.h"

namespace svirt {

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

  // Decides the domain's label: a fresh unique MCS pair for dynamic, the given
  // label for static, nothing for none. Writes label/imagelabel into `def`.
  virtual Result<void> gen_label(DomainDef& def) = 0;
  // For a domain that is already running under the label in `def`: enters
  // that label as taken, so no other domain can be given it.
  virtual Result<void> reserve_label(const DomainDef& def) = 0;
  // Returns the label to the pool. Partner of gen_label and reserve_label.
  virtual Result<void> release_label(const DomainDef& def) = 0;

  // Labels every host resource of the domain, remembering each original.
  virtual Result<std::vector<AppliedLabel>> set_all_labels(const DomainDef& def) = 0;
  virtual RestoreReport restore_all_labels(const DomainDef& def) = 0;

  // Hotplug: the resources of one device.
  virtual Result<std::vector<AppliedLabel>> set_device_labels(const DomainDef& def,
                                                              const DeviceDef& dev) = 0;
  virtual RestoreReport restore_device_labels(const DomainDef& def, const DeviceDef& dev) = 0;

  // Save/migration image written by the domain's process.
  virtual Result<AppliedLabel> set_saved_state_label(const DomainDef& def,
                                                     const std::string& path) = 0;
  virtual RestoreReport restore_saved_state_label(const DomainDef& def,
                                                  const std::string& path) = 0;

  // In the forked child, right before exec: the exec'd program runs under the
  // domain's process label.
  virtual Result<void> set_process_label(const DomainDef& def) = 0;

  // Sockets the calling thread creates until clear_socket_label() carry the
  // domain's label.
  virtual Result<void> set_socket_label(const DomainDef& def) = 0;
  virtual Result<void> clear_socket_label(const DomainDef& def) = 0;

  // The label `pid` runs under, as the host reports it.
  virtual Result<SecurityLabel> get_process_label(const DomainDef& def, pid_t pid) = 0;

  // Conditions the last verbs met that did not fail them (a filesystem that
  // cannot hold labels, an error ignored because the host is permissive).
  // Returns them once and forgets them.
  virtual std::vector<std::string> take_warnings() { return {}; }
};

}  // namespace svirt
