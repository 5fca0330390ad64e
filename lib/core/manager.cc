// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Lifecycle transactions over a driver and the state directory. Every public
// call that reads or changes state holds two locks: a mutex (threads of this
// process) and the state directory's flock (every other process).
#include "svirt/manager.h"

#include <errno.h>
#include <glib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <map>
#include <mutex>

#include "auditlog/audit_records.h"
#include "core/driver_factory.h"
#include "core/fault.h"
#include "core/migration.h"
#include "core/safe_path.h"
#include "core/spawn.h"
#include "svirt_build_config.h"
#include "plan/backing_chain.h"
#include "plan/planner.h"
#include "state/state_dir.h"

namespace svirt {

using internal::DomainRecord;
using internal::StateDir;
using internal::StateLock;

const char* domain_state_name(DomainState s) noexcept {
  switch (s) {
    case DomainState::kPrepared: return "prepared";
    case DomainState::kRunning: return "running";
    case DomainState::kGone: return "gone";
    case DomainState::kDamaged: return "damaged";
  }
  return "gone";
}

// Hidden: a member of an exported class would otherwise be exported with it.
struct __attribute__((visibility("hidden"))) SecurityManager::Impl {
  ManagerOptions options;
  Config config;
  std::optional<StateDir> state;
  std::unique_ptr<SecurityDriver> driver;
  LabelBackend* backend = nullptr;
  std::string note;
  internal::AuditLog audit;
  std::mutex mu;

  struct Held {
    std::unique_lock<std::mutex> thread_lock;
    StateLock host_lock;
  };
  Result<Held> lock() {
    Held h{std::unique_lock<std::mutex>(mu), {}};
    auto l = state->lock();
    if (!l) return std::move(l).error();
    h.host_lock = std::move(*l);
    return h;
  }

  std::string model_name() const { return driver->model().model; }

  // A prepare that failed after the domain was accepted for labeling leaves
  // failure records, as a failed VM start does in libvirt.
  Error start_failed(const DomainDef& live, Error e) {
    audit.start(live, label_of(live), /*success=*/false, nullptr);
    return e;
  }

  SecurityLabel label_of(const DomainDef& live) const {
    return internal::domain_label(live, model_name(), driver->mode());
  }

  Result<DomainRecord> need_record(const std::string& name) {
    // Names become file names in the state directory: check them before use.
    if (auto v = validate_domain_name(name); !v) return std::move(v).error();
    auto rec = state->read_domain(name);
    if (!rec) return std::move(rec).error();
    if (!rec->has_value())
      return make_error(ErrorCode::kNotFound, "domain '" + name + "': not prepared");
    return std::move(**rec);
  }

  Result<DomainDef> live_of(const DomainRecord& rec) {
    auto def = DomainDef::parse(rec.live_xml);
    if (!def) return std::move(def).error().wrap("recorded domain '" + rec.name + "'");
    return def;
  }

  // Runs `verb` on the live definition of a recorded domain, holding the locks.
  template <typename T, typename Verb>
  Result<T> with_live(const std::string& name, Verb verb) {
    auto held = lock();
    if (!held) return std::move(held).error();
    auto rec = need_record(name);
    if (!rec) return std::move(rec).error();
    auto live = live_of(*rec);
    if (!live) return std::move(live).error();
    return Result<T>(verb(*live));
  }

  // Restores and releases one recorded domain; drops its record only when
  // every file came back.
  Result<ReleaseReport> release_locked(const DomainRecord& rec,
                                       const TransactionOptions& txn = {}) {
    ReleaseReport out;
    out.name = rec.name;
    auto live = live_of(rec);
    if (!live) return std::move(live).error();
    // Prepare recorded files for it and none is left: the records were lost,
    // and a file that still carries the domain's label lost its original.
    bool lost = false;
    if (rec.files > 0) {
      auto table = state->load_files();
      lost = table && internal::records_held_by(*table, rec.name) == 0;
    }
    out.restore = driver->restore_all_labels(*live, txn);
    if (lost) {
      RestoreReport unrecorded = driver->check_unrecorded(*live);
      for (Error& e : unrecorded.errors) out.restore.errors.push_back(std::move(e));
    }
    out.warnings = out.restore.warnings;
    if (!out.restore.ok()) return released(*live, std::move(out));
    internal::fault_point("release:labels-restored");
    auto r = driver->release_label(*live);
    if (!r) {
      out.restore.errors.push_back(std::move(r).error());
      return released(*live, std::move(out));
    }
    internal::fault_point("release:label-released");
    auto rm = state->remove_domain(rec.name);
    if (!rm) out.restore.errors.push_back(std::move(rm).error());
    g_debug("domain '%s' released: %zu resources", rec.name.c_str(), out.restore.items.size());
    return released(*live, std::move(out));
  }

  // Every release, by the caller or by recovery, leaves its records.
  ReleaseReport released(const DomainDef& live, ReleaseReport out) {
    audit.stop(live, out.restore.ok(), &out.warnings);
    return out;
  }

  // Drops registry entries and file users that name no recorded domain: the
  // remains of a crash between two writes of one transaction.
  void reconcile(RecoveryReport& report, const std::vector<DomainRecord>& recs) {
    std::map<std::string, bool> known;
    for (const auto& r : recs) known[r.name] = true;
    auto reg = state->load_registry();
    if (reg) {
      bool changed = false;
      for (auto it = reg->begin(); it != reg->end();) {
        if (!known.count(it->second)) {
          it = reg->erase(it);
          changed = true;
        } else {
          ++it;
        }
      }
      if (changed) {
        auto s = state->save_registry(*reg);
        if (!s) report.errors.push_back(std::move(s).error());
      }
    }
    auto files = state->load_files();
    if (!files) {
      report.errors.push_back(std::move(files).error());
      return;
    }
    std::map<std::string, bool> orphans;
    for (const auto& [path, rec] : *files)
      for (const auto& u : rec.users)
        if (!known.count(u)) orphans[u] = true;
    for (const auto& [name, unused] : orphans) {
      // A minimal definition is enough: restore works from the file records.
      DomainDef stub;
      stub.name = name;
      RestoreReport r = driver->restore_all_labels(stub, {});
      for (auto& e : r.errors) report.errors.push_back(std::move(e));
      for (auto& w : r.warnings) report.warnings.push_back(std::move(w));
      report.released.push_back(name);
    }
  }

  Result<PreparedDomain> prepare(const DomainDef& def, const TransactionOptions& txn);
  Result<ReleaseReport> release(const std::string& name, const TransactionOptions& txn);

  Result<RecoveryReport> recover_locked(bool release_unstarted) {
    RecoveryReport report;
    std::vector<internal::StateDir::DamagedDomain> damaged;
    auto recs = state->list_domains(&damaged);
    if (!recs) return std::move(recs).error();
    for (const auto& d : damaged)
      report.errors.push_back(d.error.wrap(
          "domain '" + d.name + "' is left as it is, its files keep their labels (if its VM is "
          "not running, move domains/" + d.name + ".state away and recover again to restore "
          "them)"));
    // The pair registry is derived from the domain records: a damaged one is
    // set aside and rebuilt from them.
    bool rebuild = false;
    if (auto reg = state->load_registry(); !reg) {
      auto aside = state->set_aside("mcs.db");
      if (!aside) return std::move(aside).error();
      report.warnings.push_back(reg.error().message + ": set aside as " + *aside +
                                " and rebuilt from the domain records");
      rebuild = true;
    }
    std::string boot = internal::current_boot_id();
    std::vector<DomainRecord> kept;
    for (const DomainRecord& rec : *recs) {
      bool earlier_boot = !rec.boot_id.empty() && rec.boot_id != boot;
      bool alive = internal::record_alive(rec);
      bool release;
      if (earlier_boot) release = true;                      // nothing survives a reboot
      else if (rec.state == "preparing") release = true;     // a prepare died mid-way
      else if (rec.pid > 0) release = !alive;                // the VM process is gone
      else release = release_unstarted;                      // prepared, never started
      g_debug("recovery: domain '%s' (%s, pid %d): %s", rec.name.c_str(), rec.state.c_str(),
              static_cast<int>(rec.pid), release ? "restore and release" : "keep");
      if (!release) {
        if (alive || rebuild) {
          auto live = live_of(rec);
          if (!live) {
            report.errors.push_back(std::move(live).error());
          } else if (auto r = driver->reserve_label(*live); !r) {
            report.errors.push_back(r.error().wrap("running domains share a label"));
          } else {
            report.reserved.push_back(rec.name);
          }
        }
        kept.push_back(rec);
        continue;
      }
      auto rel = release_locked(rec);
      if (!rel) {
        report.errors.push_back(std::move(rel).error());
        kept.push_back(rec);
        continue;
      }
      for (auto& w : rel->warnings) report.warnings.push_back(std::move(w));
      if (!rel->restore.ok()) {
        for (auto& e : rel->restore.errors) report.errors.push_back(std::move(e));
        kept.push_back(rec);
        continue;
      }
      report.released.push_back(rec.name);
    }
    // A damaged domain's pair and files are its own still: nothing of it is
    // an orphan to restore.
    for (const auto& d : damaged) {
      DomainRecord r;
      r.name = d.name;
      kept.push_back(std::move(r));
    }
    reconcile(report, kept);
    return report;
  }
};

SecurityManager::SecurityManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecurityManager::~SecurityManager() = default;

Result<std::unique_ptr<SecurityManager>> SecurityManager::open(const ManagerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.config) {
    impl->config = *options.config;
  } else {
    std::string path = options.config_file.value_or(std::string(SVIRT_DEFAULT_CONFIG));
    bool explicit_file = options.config_file.has_value();
    if (explicit_file || access(path.c_str(), F_OK) == 0) {
      auto c = Config::load_file(path);
      if (!c) return std::move(c).error();
      impl->config = std::move(*c);
    }
  }
  auto st = StateDir::open(options.state_dir);
  if (!st) return std::move(st).error();
  impl->state.emplace(std::move(*st));
  auto choice = internal::make_driver(options.driver, &*impl->state, impl->config);
  if (!choice) return std::move(choice).error();
  impl->driver = std::move(choice->driver);
  impl->backend = choice->backend;
  impl->note = std::move(choice->note);
  if (impl->config.audit_records)
    impl->audit = internal::AuditLog(options.audit_sink ? options.audit_sink
                                                        : internal::default_audit_sink());
  std::unique_ptr<SecurityManager> mgr(new SecurityManager(std::move(impl)));
  if (options.recover_on_open) {
    auto held = mgr->impl_->lock();
    if (!held) return std::move(held).error();
    auto r = mgr->impl_->recover_locked(/*release_unstarted=*/false);
    if (!r) return std::move(r).error();
  }
  return mgr;
}

SecurityDriver& SecurityManager::driver() { return *impl_->driver; }
SecurityModel SecurityManager::model() const { return impl_->driver->model(); }
const std::string& SecurityManager::probe_note() const { return impl_->note; }
LabelBackend* SecurityManager::backend() { return impl_->backend; }
const std::string& SecurityManager::state_dir() const { return impl_->state->path(); }

Result<PreparedDomain> SecurityManager::prepare(const DomainDef& def) {
  return impl_->prepare(def, TransactionOptions{});
}

Result<PreparedDomain> SecurityManager::Impl::prepare(const DomainDef& def,
                                                      const TransactionOptions& txn) {
  SVIRT_TRY(validate_domain_name(def.name));
  auto held = lock();
  if (!held) return std::move(held).error();
  auto existing = state->read_domain(def.name);
  if (!existing) return std::move(existing).error();
  if (existing->has_value())
    return make_error(ErrorCode::kConflict, "domain '" + def.name + "': already prepared");

  SecurityDriver& drv = *driver;
  if (auto v = drv.verify(def); !v) return start_failed(def, std::move(v).error());
  PreparedDomain out;
  out.live = def;
  if (auto g = drv.gen_label(out.live, txn); !g)
    return start_failed(out.live, std::move(g).error());
  // The chain the image headers name goes into the live XML, as libvirt's
  // live XML holds it: release then restores exactly the layers labelled.
  if (SecurityLabel l = label_of(out.live); l.type != LabelType::kNone && l.relabel) {
    if (auto c = internal::discover_backing_chains(out.live); !c) {
      (void)drv.release_label(out.live);
      return start_failed(out.live, std::move(c).error());
    }
  }

  // No record of the domain is written before its labels: should svirt die
  // in between, the registry entry and the file records that name it are
  // orphans, and recovery restores and frees exactly those.
  internal::fault_point("prepare:domain-recorded");
  auto applied = drv.set_all_labels(out.live, txn);
  if (!applied) {
    (void)drv.release_label(out.live);
    return start_failed(out.live, std::move(applied).error());
  }
  internal::fault_point("prepare:labels-applied");
  DomainRecord rec;
  rec.name = def.name;
  rec.boot_id = internal::current_boot_id();
  rec.live_xml = out.live.format(FormatMode::kLive);
  rec.state = "prepared";
  if (auto t = state->load_files(); t) rec.files = internal::records_held_by(*t, def.name);
  if (auto w = state->write_domain(rec); !w) {
    (void)drv.restore_all_labels(out.live, txn);
    (void)drv.release_label(out.live);
    (void)state->remove_domain(def.name);
    return start_failed(out.live, std::move(w).error());
  }
  out.resources = std::move(applied->items);
  out.warnings = std::move(applied->warnings);
  out.label = label_of(out.live);
  g_debug("domain '%s' prepared: label %s, image label %s, %zu resources", def.name.c_str(),
          out.label.label.c_str(), out.label.imagelabel.c_str(), out.resources.size());
  audit.start(out.live, out.label, /*success=*/true, &out.warnings);
  return out;
}

Result<ReleaseReport> SecurityManager::release(const std::string& name) {
  return impl_->release(name, TransactionOptions{});
}

Result<ReleaseReport> SecurityManager::Impl::release(const std::string& name,
                                                     const TransactionOptions& txn) {
  auto held = lock();
  if (!held) return std::move(held).error();
  auto rec = need_record(name);
  if (!rec) return std::move(rec).error();
  if (internal::record_alive(*rec))
    return make_error(ErrorCode::kConflict, "domain '" + name + "': still running (pid " +
                                                std::to_string(rec->pid) + ")");
  return release_locked(*rec, txn);
}

// The migration calls are the plain transactions with the migration's side,
// shared storage and carried pairs handed to every verb.
Result<PreparedDomain> SecurityManager::prepare(const DomainDef& def,
                                                const PrepareOptions& options) {
  if (!options.incoming) return prepare(def);
  TransactionOptions t;
  t.migration = TransactionOptions::Migration::kIncoming;
  t.shared = options.shared;
  DomainDef arrived = internal::without_carried_labels(def, &t.avoid_pairs);
  return impl_->prepare(arrived, t);
}

Result<ReleaseReport> SecurityManager::release(const std::string& name,
                                               const ReleaseOptions& options) {
  if (!options.migrated) return release(name);
  TransactionOptions t;
  t.migration = TransactionOptions::Migration::kMigratedOut;
  t.shared = options.shared;
  return impl_->release(name, t);
}

Result<ExecPlan> SecurityManager::exec_plan(const std::string& name) {
  return impl_->with_live<ExecPlan>(
      name, [&](const DomainDef& live) { return impl_->driver->plan_process_label(live); });
}

Result<void> SecurityManager::mark_running(const std::string& name, pid_t pid) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  // The launcher's own child may already have exited (not yet reaped): its
  // start time is still what identifies it.
  auto start = internal::process_start_time(pid, /*include_zombie=*/true);
  if (!start)
    return make_error(ErrorCode::kNotFound, "domain '" + name + "': process " +
                                                std::to_string(pid) + " is not running");
  rec->pid = pid;
  rec->start_time = *start;
  rec->state = "running";
  return impl_->state->write_domain(*rec);
}

namespace {

std::string escape_fd_path(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Opens the domain's disk layers for fd passing: through the vetted O_PATH
// descriptor, so the path is resolved exactly once. Appends the
// "N:rw:/path" description of each to `spec`.
Result<std::vector<internal::InheritedFd>> open_disks_for_passing(const DomainDef& live,
                                                                  std::string& spec) {
  std::vector<internal::InheritedFd> out;
  internal::PathPolicy policy;
  for (const Disk& d : live.disks) {
    bool top = true;
    for (const DiskSource* src = &d.source; src != nullptr; src = src->backing.get(), top = false) {
      if (src->path.empty() || src->type == DiskType::kDir ||
          (src->type != DiskType::kFile && src->type != DiskType::kBlock))
        continue;
      bool rw = top && !d.readonly;
      auto opened = internal::open_resource(src->path, policy);
      if (!opened) return std::move(opened).error().wrap("disk '" + d.target + "'");
      int fd = ::open(internal::proc_fd_path(opened->fd.get()).c_str(),
                      (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
      if (fd < 0)
        return make_error(ErrorCode::kOperationFailed,
                          "disk '" + d.target + "': cannot open '" + src->path + "'", errno);
      int n = 3 + static_cast<int>(out.size());
      if (!out.empty()) spec += ",";
      spec += std::to_string(n) + (rw ? ":rw:" : ":ro:") + escape_fd_path(src->path);
      out.push_back(internal::InheritedFd{internal::UniqueFd(fd), n});
    }
  }
  return out;
}

}  // namespace

Result<pid_t> SecurityManager::launch(const std::string& name, const std::vector<std::string>& argv,
                                      const std::vector<std::string>& extra_env) {
  LaunchOptions o;
  o.extra_env = extra_env;
  return launch(name, argv, o);
}

// The child waits until the parent has recorded its pid before it enters the
// VM's label and execs: a VM process is never running without a record that
// says so, whenever svirt is killed. The locks are not held while the child
// starts, so other threads' lifecycle calls go on meanwhile.
Result<pid_t> SecurityManager::launch(const std::string& name, const std::vector<std::string>& argv,
                                      const LaunchOptions& options) {
  if (argv.empty()) return make_error(ErrorCode::kInvalidInput, "launch: empty command");
  internal::SpawnRequest req;
  req.argv = argv;
  req.extra_env = options.extra_env;
  DomainDef live;
  {
    auto held = impl_->lock();
    if (!held) return std::move(held).error();
    auto rec = impl_->need_record(name);
    if (!rec) return std::move(rec).error();
    auto def = impl_->live_of(*rec);
    if (!def) return std::move(def).error();
    live = std::move(*def);
    auto plan = impl_->driver->plan_process_label(live);
    if (!plan) return std::move(plan).error().wrap("domain '" + name + "'");
    req.plan = std::move(*plan);
  }
  if (options.pass_fds) {
    std::string spec = "SVIRT_FDS=";
    auto fds = open_disks_for_passing(live, spec);
    if (!fds) return std::move(fds).error();
    req.fds = std::move(*fds);
    req.extra_env.push_back(std::move(spec));
  }
  auto child = internal::Spawned::start(std::move(req));
  if (!child) return std::move(child).error();
  pid_t pid = child->pid();
  g_debug("domain '%s': process %d forked", name.c_str(), static_cast<int>(pid));
  auto marked = mark_running(name, pid);
  if (!marked) return std::move(marked).error();  // the child exits without running anything
  internal::SpawnFailure f = child->go();
  if (f.stage == internal::SpawnFailure::kLabel)
    return make_error(ErrorCode::kOperationFailed,
                      "domain '" + name + "': cannot set the process label", f.err);
  if (f.stage == internal::SpawnFailure::kExec)
    return make_error(f.err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "cannot execute '" + argv[0] + "'", f.err);
  return pid;
}

Result<std::vector<DomainStatus>> SecurityManager::list() {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  std::vector<internal::StateDir::DamagedDomain> damaged;
  auto recs = impl_->state->list_domains(&damaged);
  if (!recs) return std::move(recs).error();
  std::vector<DomainStatus> out;
  for (const auto& d : damaged) {
    DomainStatus s;
    s.name = d.name;
    s.state = DomainState::kDamaged;
    out.push_back(std::move(s));
  }
  auto by_name = [](const DomainStatus& a, const DomainStatus& b) { return a.name < b.name; };
  for (const DomainRecord& rec : *recs) {
    DomainStatus s;
    s.name = rec.name;
    s.pid = rec.pid;
    auto live = impl_->live_of(rec);
    if (live) s.label = impl_->label_of(*live);
    if (rec.pid > 0) s.state = internal::record_alive(rec) ? DomainState::kRunning : DomainState::kGone;
    else s.state = DomainState::kPrepared;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

Result<DomainStatus> SecurityManager::status(const std::string& name) {
  auto all = list();
  if (!all) return std::move(all).error();
  for (auto& s : *all)
    if (s.name == name) return std::move(s);
  return make_error(ErrorCode::kNotFound, "domain '" + name + "': not prepared");
}

Result<DomainDef> SecurityManager::live_definition(const std::string& name) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  return impl_->live_of(*rec);
}

Result<SecurityLabel> SecurityManager::process_label(const std::string& name) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  auto live = impl_->live_of(*rec);
  if (!live) return std::move(live).error();
  if (internal::record_alive(*rec)) {
    auto l = impl_->driver->get_process_label(*live, rec->pid);
    if (!l) return std::move(l).error();
    l->mode = impl_->driver->mode();
    return l;
  }
  return impl_->label_of(*live);
}

Result<RecoveryReport> SecurityManager::recover() {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  return impl_->recover_locked(/*release_unstarted=*/true);
}

Result<LabelReport> SecurityManager::attach(const std::string& name, const DeviceDef& dev) {
  return impl_->with_live<LabelReport>(name, [&](const DomainDef& live) {
    auto r = impl_->driver->set_device_labels(live, dev);
    impl_->audit.hotplug(live, dev, /*attach=*/true, r.ok(), r ? &r->warnings : nullptr);
    return r;
  });
}

Result<RestoreReport> SecurityManager::detach(const std::string& name, const DeviceDef& dev) {
  return impl_->with_live<RestoreReport>(name, [&](const DomainDef& live) {
    RestoreReport r = impl_->driver->restore_device_labels(live, dev);
    impl_->audit.hotplug(live, dev, /*attach=*/false, r.ok(), &r.warnings);
    return r;
  });
}

Result<LabelReport> SecurityManager::save_label(const std::string& name,
                                                const std::string& path) {
  return impl_->with_live<LabelReport>(
      name, [&](const DomainDef& live) { return impl_->driver->set_saved_state_label(live, path); });
}

Result<RestoreReport> SecurityManager::restore_save_label(const std::string& name,
                                                          const std::string& path) {
  return impl_->with_live<RestoreReport>(name, [&](const DomainDef& live) {
    return impl_->driver->restore_saved_state_label(live, path);
  });
}

Result<RestoreReport> SecurityManager::forget(const std::string& name,
                                              const std::vector<std::string>& paths) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  if (auto v = validate_domain_name(name); !v) return std::move(v).error();
  auto rec = impl_->state->read_domain(name);
  if (!rec) return std::move(rec).error();
  DomainDef def;
  if (rec->has_value()) {
    auto live = impl_->live_of(**rec);
    if (!live) return std::move(live).error();
    def = std::move(*live);
  } else {
    def.name = name;  // records without a domain: what recovery left behind
  }
  RestoreReport r = impl_->driver->forget_labels(def, paths);
  // What was forgotten on purpose is no lost record on release.
  if (rec->has_value()) {
    auto table = impl_->state->load_files();
    if (table) {
      DomainRecord updated = **rec;
      updated.files = internal::records_held_by(*table, name);
      if (updated.files != (*rec)->files)
        if (auto w = impl_->state->write_domain(updated); !w) r.errors.push_back(std::move(w).error());
    }
  }
  return r;
}

Result<void> SecurityManager::set_socket_label(const std::string& name) {
  auto r = impl_->with_live<bool>(name, [&](const DomainDef& live) -> Result<bool> {
    SVIRT_TRY(impl_->driver->set_socket_label(live));
    return true;
  });
  if (!r) return std::move(r).error();
  return ok();
}

Result<void> SecurityManager::clear_socket_label(const std::string& name) {
  auto r = impl_->with_live<bool>(name, [&](const DomainDef& live) -> Result<bool> {
    SVIRT_TRY(impl_->driver->clear_socket_label(live));
    return true;
  });
  if (!r) return std::move(r).error();
  return ok();
}

Result<std::string> SecurityManager::mount_options(const std::string& name) {
  auto live = live_definition(name);
  if (!live) return std::move(live).error();
  SecurityLabel l = impl_->label_of(*live);
  if (l.imagelabel.empty()) return std::string();
  return "context=\"" + l.imagelabel + "\"";
}

}  // namespace svirt
