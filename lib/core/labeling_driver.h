// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The driver behind "selinux" and "test": planner decisions carried out
// through a LabelBackend, with every change recorded in the state directory
// before it is made.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/safe_path.h"
#include "state/state_dir.h"
#include "svirt/backend.h"
#include "svirt/config.h"
#include "svirt/driver.h"

namespace svirt::internal {

// The domain's seclabel for `model`, else its seclabel without a model.
inline const SecLabelDef* model_seclabel(const DomainDef& def, const std::string& model) {
  if (const SecLabelDef* s = def.seclabel(model)) return s;
  return def.seclabel("");
}
inline SecLabelDef* model_seclabel(DomainDef& def, const std::string& model) {
  if (SecLabelDef* s = def.seclabel(model)) return s;
  return def.seclabel("");
}

class LabelingDriver final : public SecurityDriver {
 public:
  // `state` must outlive the driver. Host defaults are read once, here.
  static Result<std::unique_ptr<LabelingDriver>> create(std::unique_ptr<LabelBackend> backend,
                                                        const StateDir* state, Config config);

  std::string_view name() const override { return backend_->name(); }
  SecurityModel model() const override { return backend_->model(); }
  EnforcingMode mode() const override { return backend_->mode(); }
  LabelBackend* backend() { return backend_.get(); }
  const HostDefaults& defaults() const { return defaults_; }

  Result<void> verify(const DomainDef& def) const override;
  Result<void> gen_label(DomainDef& def, const TransactionOptions& options) override;
  Result<void> reserve_label(const DomainDef& def) override;
  Result<void> release_label(const DomainDef& def) override;
  Result<LabelReport> set_all_labels(const DomainDef& def,
                                     const TransactionOptions& options) override;
  RestoreReport restore_all_labels(const DomainDef& def,
                                   const TransactionOptions& options) override;
  Result<LabelReport> set_device_labels(const DomainDef& def, const DeviceDef& dev) override;
  RestoreReport restore_device_labels(const DomainDef& def, const DeviceDef& dev) override;
  Result<LabelReport> set_saved_state_label(const DomainDef& def,
                                            const std::string& path) override;
  RestoreReport restore_saved_state_label(const DomainDef& def, const std::string& path) override;
  RestoreReport forget_labels(const DomainDef& def, const std::vector<std::string>& paths) override;
  RestoreReport check_unrecorded(const DomainDef& def) override;
  Result<ExecPlan> plan_process_label(const DomainDef& def) override;
  Result<void> set_socket_label(const DomainDef& def) override;
  Result<void> clear_socket_label(const DomainDef& def) override;
  Result<SecurityLabel> get_process_label(const DomainDef& def, pid_t pid) override;

 private:
  LabelingDriver(std::unique_ptr<LabelBackend> backend, const StateDir* state, Config config,
                 HostDefaults defaults);

  // Labels a domain may hold that svirt accepts, as libvirt does, but that
  // weaken its separation: an unconfined base type, a per-source label with
  // another live domain's categories (label_allocation.cc).
  std::vector<std::string> label_warnings(const DomainDef& def, const SecurityLabel& label) const;
  // The process types of VMs: the VM policy's, and the configured domain
  // and TCG contexts' types.
  std::vector<std::string> vm_types() const;
  // The label recorded in the domain's seclabel for this model.
  SecurityLabel label_of(const DomainDef& def) const;
  // Labels `resources` for `domain`; all or nothing. Conditions that do not
  // fail the call go to `warnings`.
  Result<std::vector<AppliedLabel>> apply(const std::string& domain,
                                          const std::vector<ResourceLabel>& resources,
                                          std::vector<std::string>& warnings);
  // Drops `domain` from the records of the given resolved paths (all of the
  // domain's records when `only` is null) and restores files nobody else uses.
  RestoreReport restore(const std::string& domain, const std::vector<std::string>* only);
  // The file a record is about, reached by its name or one of its aliases,
  // and only if it is still the inode that was labelled.
  enum class Found { kGone, kFile, kReplaced, kError };
  struct RecordedFile {
    Found found = Found::kGone;
    OpenedPath opened;   // kFile
    std::string other;   // kReplaced: "NAME' is now inode DEV:INO"
    std::string moved_to;  // kFile found under a new name in its directory
    Error error;         // kError: why no name could be opened
  };
  RecordedFile open_recorded(const FileRecord& rec) const;
  // An error in `report` if `r`'s file still carries the label this domain
  // gave it (see check_unrecorded(DomainDef)).
  void check_unrecorded(const ResourceLabel& r, const OpenedPath& opened, RestoreReport& report);
  // Resolved paths of planned resources that exist now.
  std::vector<std::string> resolve_paths(const std::vector<ResourceLabel>& resources);
  // Filesystem shares: the whole tree, with a record of its own.
  std::string tree_record_path(const std::string& resolved) const;
  Result<void> label_tree(const OpenedPath& root, const std::string& label,
                          std::vector<std::string>& warnings);
  Result<void> restore_tree_of(const OpenedPath& root);
  // Live migration (migration.cc), each a no-op unless `options` names its
  // side. Incoming: takes the resources on shared storage out of `resources`
  // and reports them as left alone.
  Result<LabelReport> leave_shared_alone(const std::string& domain,
                                         std::vector<ResourceLabel>& resources,
                                         const TransactionOptions& options);
  // Migrated out: drops, without restoring, the records of shared-storage
  // files only `domain` uses here; reports them as kept.
  RestoreReport forget_shared(const std::string& domain, const TransactionOptions& options);
  // A save file: an existing regular file named by `path` itself, not
  // through a symlink (saved_state.cc).
  Result<OpenedPath> open_saved_state_file(const std::string& path) const;
  // Where the record of a save file that no longer exists would be: its
  // directory resolved, plus its name; nullopt when the directory is gone.
  std::optional<std::string> saved_state_record_path(const std::string& path) const;
  bool fatal() const { return backend_->mode() == EnforcingMode::kEnforcing; }

  std::unique_ptr<LabelBackend> backend_;
  const StateDir* state_;
  Config config_;
  HostDefaults defaults_;
  PathPolicy path_policy_;
};

}  // namespace svirt::internal
