// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SecurityManager: the entry point for a management stack.
//
//   svirt::ManagerOptions opts;                 // driver "auto", /var/lib/svirt
//   auto mgr = svirt::SecurityManager::open(opts);
//   if (!mgr) return fail(mgr.error());
//   auto def = svirt::DomainDef::parse_file("vm1.xml");
//   if (!def) return fail(def.error());
//   auto prepared = (*mgr)->prepare(*def);      // label + relabel every resource
//   if (!prepared) return fail(prepared.error());
//   auto pid = (*mgr)->launch(def->name, {"/usr/bin/qemu-system-x86_64", ...});
//   ...                                          // VM runs as svirt_t:s0:cA,cB
//   auto report = (*mgr)->release(def->name);   // every file back to its original
//
// The manager owns a state directory that makes its work durable and shared
// by every process on the host:
//  - a lock file: every lifecycle call below holds it, so two processes (two
//    `svirt` commands, or a command and a daemon) never interleave;
//  - the MCS registry: every pair in use, dynamic or static, by domain;
//  - per-file records: original label, label applied, domains using it;
//    written (fsync + rename) before the file's label is changed;
//  - per-domain records: live XML, pid and process start time, boot id.
// open() runs recover() unless told not to, so a crash of svirt or of the host
// never leaves a file with a VM's label once a manager opens the state again.
//
// Errors: every call returns Result; nothing is logged or printed. Warnings
// that do not fail a call (permissive host, a filesystem without labels) come
// back in that call's report (`warnings`), never in a later call's.
//
// Audit: prepare(), release() (and recovery's releases), attach() and
// detach() send Linux audit records in libvirt's format for a VM's start,
// stop and disk hotplug (svirt/audit_log.h); ManagerOptions::audit_sink
// decides where they go.
//
// Thread-safety: every member function may be called from any thread, at
// the same time as any other (prepare, release, launch of different domains
// from many threads included): lifecycle calls serialize on a mutex and the
// host-wide lock, launch() holds them only to read and record, not while the
// child starts. Results and reports are the caller's own values. The
// driver() and backend() references stay valid for the manager's life; their
// verbs are not synchronized (svirt/driver.h). ExecPlan::enter() is
// async-signal-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "svirt/audit_log.h"
#include "svirt/backend.h"
#include "svirt/config.h"
#include "svirt/domain.h"
#include "svirt/driver.h"
#include "svirt/export.h"
#include "svirt/label.h"
#include "svirt/migration.h"
#include "svirt/result.h"

namespace svirt {

struct SVIRT_EXPORT ManagerOptions {
  // "selinux", "test", "none" or "auto" (selinux when SELinux is enabled,
  // else none; see SecurityManager::probe_note()).
  std::string driver = "auto";
  // Key file; unset: /etc/svirt/svirt.conf when it exists, else built-in defaults.
  std::optional<std::string> config_file;
  // Already-parsed config; wins over config_file.
  std::optional<Config> config;
  std::string state_dir = "/var/lib/svirt";
  // Run recover() when opening.
  bool recover_on_open = true;
  // Where audit records of prepare, release and hotplug go (svirt/audit_log.h);
  // unset: the kernel's audit log when built with libaudit and available.
  std::shared_ptr<AuditSink> audit_sink;
};

// A domain after prepare(): its live definition (label and imagelabel filled
// in) and what happened to each resource.
struct SVIRT_EXPORT PreparedDomain {
  DomainDef live;
  SecurityLabel label;
  std::vector<AppliedLabel> resources;
  std::vector<std::string> warnings;
};

// A domain after release(): what happened to each of its files.
struct SVIRT_EXPORT ReleaseReport {
  std::string name;
  RestoreReport restore;
  // Every warning of the release, the ones in restore.warnings first, then
  // the manager's own (audit records that could not be sent): print this
  // list, not both.
  std::vector<std::string> warnings;
};

// kDamaged: its record cannot be read (list() names it; recover() reports
// why and leaves it, and its files, as they are).
enum class DomainState { kPrepared, kRunning, kGone, kDamaged };
SVIRT_EXPORT const char* domain_state_name(DomainState s) noexcept;

struct SVIRT_EXPORT DomainStatus {
  std::string name;
  pid_t pid = 0;  // 0 when not started
  SecurityLabel label;
  DomainState state = DomainState::kPrepared;
};

// How launch() starts the VM process.
struct SVIRT_EXPORT LaunchOptions {
  // "K=V" entries added to the child's environment.
  std::vector<std::string> extra_env;
  // Open every disk image of the domain in the launcher (read-write, or
  // read-only for <readonly/> disks and backing layers) and hand the
  // descriptors to the VM process, so the confined process needs no open or
  // search permission on image paths (QEMU: -add-fd / /dev/fdset). The child
  // finds them as fds 3, 4, ... in declaration order, described by the
  // environment variable SVIRT_FDS="3:rw:/path,4:ro:/path,..." (paths as
  // written in the XML; ',' and '\\' in a path are escaped with '\\').
  bool pass_fds = false;
};

struct SVIRT_EXPORT RecoveryReport {
  std::vector<std::string> released;    // domains whose files were restored
  std::vector<std::string> reserved;    // still running: label re-reserved
  std::vector<Error> errors;
  std::vector<std::string> warnings;
};

class SVIRT_EXPORT SecurityManager {
 public:
  static Result<std::unique_ptr<SecurityManager>> open(const ManagerOptions& options);
  ~SecurityManager();
  SecurityManager(const SecurityManager&) = delete;
  SecurityManager& operator=(const SecurityManager&) = delete;

  SecurityDriver& driver();
  SecurityModel model() const;
  // Why "auto" picked the driver it did, e.g. "SELinux is disabled on this
  // host: using driver none"; "" when the driver was named.
  const std::string& probe_note() const;
  // The label backend of a labeling driver (selinux, test); null otherwise.
  LabelBackend* backend();
  // The state directory this manager records in.
  const std::string& state_dir() const;

  // gen_label + set_all_labels + durable state, as one transaction: on
  // failure nothing is left labelled and the label is released. Fails with
  // kConflict when a domain of that name is already recorded.
  Result<PreparedDomain> prepare(const DomainDef& def);
  // restore_all_labels + release_label + drop state. Restores what it can and
  // reports every failure; the state is dropped only when all succeeded.
  Result<ReleaseReport> release(const std::string& name);
  // Live migration (svirt/migration.h has the rules): with options.incoming,
  // prepare() on the destination draws a fresh pair instead of the one the
  // source's XML carries and leaves files on shared storage as they are;
  // with options.migrated, release() on the source forgets, and does not
  // restore, the files on shared storage the destination now uses. Without
  // them, the same as prepare(def) and release(name).
  Result<PreparedDomain> prepare(const DomainDef& def, const PrepareOptions& options);
  Result<ReleaseReport> release(const std::string& name, const ReleaseOptions& options);

  // Forks, enters the process label in the child, execs argv[0] (PATH is
  // searched) and records the child's pid and start time. `extra_env` entries
  // ("K=V") are added to the child's environment, replacing any of the same
  // name. Returns the child pid. Everything the child needs is built before
  // fork(); between fork and exec the child makes only async-signal-safe
  // calls, so launch() is safe in a process whose other threads allocate,
  // log or change the environment meanwhile.
  Result<pid_t> launch(const std::string& name, const std::vector<std::string>& argv,
                       const std::vector<std::string>& extra_env = {});
  Result<pid_t> launch(const std::string& name, const std::vector<std::string>& argv,
                       const LaunchOptions& options);
  // For stacks that fork themselves, in the parent before fork(): what the
  // child must do to run under the domain's label. In the child call
  // plan.enter() (async-signal-safe) right before exec, and exec with
  // plan.env added to the environment; then mark_running() in the parent.
  Result<ExecPlan> exec_plan(const std::string& name);
  // Records that `name` now runs as `pid` (launch() does this itself).
  Result<void> mark_running(const std::string& name, pid_t pid);

  Result<std::vector<DomainStatus>> list();
  Result<DomainStatus> status(const std::string& name);
  // The live definition recorded for `name`.
  Result<DomainDef> live_definition(const std::string& name);
  // Label of the domain's process as the host reports it (dominfo).
  Result<SecurityLabel> process_label(const std::string& name);

  // For every recorded domain whose process is gone (or never started):
  // restore and release. For those still running: re-reserve their labels.
  Result<RecoveryReport> recover();

  // Hotplug: labels (attach) or restores (detach) the resources of one
  // device of a prepared domain. Each report holds this call's warnings.
  Result<LabelReport> attach(const std::string& name, const DeviceDef& dev);
  Result<RestoreReport> detach(const std::string& name, const DeviceDef& dev);

  // Save/migration image the domain's process writes (or reads on restore):
  // labelled for the domain, restored like any other resource (and on
  // release, if the caller forgets). `path` must be absolute and name an
  // existing regular file directly: a symlink in its place is refused
  // (kOperationFailed), as are system paths; a missing file is kNotFound.
  // Restoring a path the domain never labelled gives an empty report;
  // restoring a deleted save file drops its record (kSkipped). save_label's
  // report holds one item, the save file.
  Result<LabelReport> save_label(const std::string& name, const std::string& path);
  Result<RestoreReport> restore_save_label(const std::string& name, const std::string& path);

  // When release fails because a file is not the one svirt labelled any
  // more (replaced, or moved where no recorded name leads) or carries a
  // label someone gave it since, svirt leaves it alone and keeps the domain
  // and its label. Once the administrator has put the file right, forget()
  // drops the domain's records of `paths` (absolute, as release names them)
  // without touching the files; release then completes. Each forgotten file
  // is an item (kForgotten) and a warning with the label it keeps and its
  // label before svirt. Works for a domain whose record is gone too (files
  // recovery could not restore). A path the domain has no record of is an
  // error in the report (kNotFound).
  Result<RestoreReport> forget(const std::string& name, const std::vector<std::string>& paths);

  // Sockets the calling thread creates until clear_socket_label() (a
  // monitor or chardev listener the stack opens for the VM) carry the
  // domain's label, so only that VM's process can use them.
  Result<void> set_socket_label(const std::string& name);
  Result<void> clear_socket_label(const std::string& name);

  // The mount option that gives a dedicated filesystem for the domain's
  // shares its image label without relabelling anything, e.g.
  // context="system_u:object_r:svirt_image_t:s0:c1,c2"; "" when the domain
  // is not relabelled.
  Result<std::string> mount_options(const std::string& name);

  struct Impl;

 private:
  explicit SecurityManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace svirt
