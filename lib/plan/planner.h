// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The planner: every labeling decision svirt makes, and nothing else.
//
// Given a domain, the host defaults and the config, it says which label the
// VM process runs under and which label goes on each host path. It performs no
// I/O beyond reading sysfs and image headers, so the SELinux and test drivers
// make exactly the same decisions and the data-driven tests here speak for
// both.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "svirt/backend.h"
#include "svirt/config.h"
#include "svirt/context.h"
#include "svirt/domain.h"
#include "svirt/label.h"
#include "plan/device_paths.h"
#include "svirt/result.h"

namespace svirt::internal {

// The resolved seclabel policy of one domain for one driver model.
struct LabelIntent {
  LabelType type = LabelType::kNone;
  bool relabel = false;
  // static: the given label; dynamic: the base context without categories.
  std::optional<SecurityContext> base;
  // Image context for the VM's private files (type + user + role, no range yet).
  std::optional<SecurityContext> image_base;
  // Level sensitivity and the categories dynamic pairs are drawn from.
  int sensitivity = 0;
  CategorySet pool;
  // An emulated (<domain type='qemu'>) domain that gets the KVM domain type
  // because the policy names no TCG type: QEMU's code translator then needs
  // execmem, which the KVM type may not have.
  bool tcg_without_tcg_type = false;
};

// Refuses a per-source <seclabel> of a model svirt has no driver for
// (known: selinux, dac, none), as the domain-level check refuses one on the
// domain: an apparmor override would otherwise be dropped without a word.
// The per-source <seclabel> that applies to `model`: its own, else the one
// without a model; null when the source has neither.
const SourceSecLabel* source_override(const std::vector<SourceSecLabel>& labels,
                                      const std::string& model);

Result<void> check_source_seclabel_models(const std::vector<Disk>& disks,
                                          const std::vector<Chardev>& chardevs);

// Decides the label type: the domain's seclabel of `model` (or the one without
// a model), else default_confined. Refuses type none under require_confined,
// and what check_source_seclabel_models refuses.
Result<LabelIntent> plan_intent(const DomainDef& def, const std::string& model,
                                const HostDefaults& defaults, const Config& config);

// The categories dynamic pairs come from: the high level of the caller's range
// (c0.c1023 when it has no categories). Fewer than 8 is an error.
Result<CategorySet> category_pool(const SecurityContext& process_context);

// A dynamic label for the pair (c1 < c2): process and image labels.
SecurityLabel make_dynamic_label(const LabelIntent& intent, const std::string& model, int c1,
                                 int c2);
// The label of a static intent.
Result<SecurityLabel> make_static_label(const LabelIntent& intent, const std::string& model);

// Every host path of the domain and the label it gets under `label`, with
// the kind of file it must be (docs/resources.md has the table).
// Entries with no label are left untouched and say why in `reason`:
// relabel='no', or a source with no host file at all (a network disk, a pty,
// a bridge interface, ...), whose path is then "". A source svirt cannot
// label safely, or that only libvirt's storage or network drivers could
// resolve (type 'volume'), is an error naming the device and what to write
// instead. Returns nothing at all when the domain does not relabel.
//
// Paths the stack derives from the domain come from `config`'s [paths]:
// swtpm state (SWTPM_STORAGE_DIR/<uuid>/tpm2 or tpm1.2, unless the XML names
// it) and log (SWTPM_LOG_DIR/<name>-swtpm.log), hugepage directories
// (MOUNT/libvirt/qemu/<name> on each hugetlbfs mount) and file-backed RAM
// (MEMORY_BACKING_DIR/<name>); tests point them at scratch directories.
//
// What the planner reads from the host: where host devices and pipe
// chardevs live, in sysfs under `devices` (tests point it at a fake tree),
// and the headers of qcow2 and qed images whose backing chain the XML leaves
// out (plan/backing_chain.h): every layer found is a read-only backing layer.
Result<std::vector<ResourceLabel>> plan_resources(const DomainDef& def, const std::string& model,
                                                  const SecurityLabel& label,
                                                  const HostDefaults& defaults,
                                                  const Config& config,
                                                  const DeviceRoot& devices = {});

// The same for the devices of one hotplug document.
Result<std::vector<ResourceLabel>> plan_device_resources(const DomainDef& def,
                                                         const DeviceDef& dev,
                                                         const std::string& model,
                                                         const SecurityLabel& label,
                                                         const HostDefaults& defaults,
                                                         const DeviceRoot& devices = {});

// The categories a label's range holds at its high level, or an empty set.
CategorySet label_categories(const std::string& label);

}  // namespace svirt::internal

namespace svirt::internal {

// The label a (live) domain definition carries for `model`: what gen_label or
// reserve_label wrote into its seclabel.
SecurityLabel domain_label(const DomainDef& def, const std::string& model, EnforcingMode mode);

}  // namespace svirt::internal
